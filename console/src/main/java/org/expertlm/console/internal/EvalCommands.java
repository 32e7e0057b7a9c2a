package org.expertlm.console.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Evaluator;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** {@code elm:eval}: runs an evaluation configuration over the installed experts and writes its report. */
@Component(service = EvalCommands.class, property = {"osgi.command.scope=elm", "osgi.command.function=eval"})
public final class EvalCommands {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Evaluator evaluator;

    private final Path home;

    @Activate
    public EvalCommands(BundleContext context) {
        String h = context.getProperty(ContainerProperties.HOME);
        this.home = Path.of(h == null ? "." : h);
    }

    @Descriptor("run an evaluation (configs/eval/*.json, format elm-eval/1) over the installed experts: unseen tasks, seen "
            + "tasks, composition and retrieval ablations, written as a Markdown report with PNG plots; every score is kept in "
            + "the run's work folder, so a run again computes only what is missing; progress on standard error")
    public Object eval(
            @Descriptor("at most 16 instances a task and two tasks an experiment (a smoke run)")
            @Parameter(names = "--quick", presentValue = "true", absentValue = "false") boolean quick,
            @Descriptor("print exactly one JSON document instead of text")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the configuration file (relative to the ELM home)") String config) {
        Evaluator e = evaluator;
        if (e == null) {
            throw new IllegalStateException("the evaluator is not running; the bundle org.expertlm.eval must be active (see elm:status)");
        }
        PrintStream err = System.err;
        Evaluator.Outcome o = e.run(home.resolve(config).toAbsolutePath().normalize(), quick, line -> err.println("eval: " + line));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("report", o.report().toString());
        report.put("plots", o.plots().stream().map(Path::toString).toList());
        report.put("experiments", o.experiments());
        report.put("scored", o.scored());
        report.put("reused", o.reused());
        report.put("seconds", o.seconds());
        if (json) {
            return Json.write(report);
        }
        return String.format("report %s (%d plots): %d score tables computed, %d reused, %.0f s", o.report(), o.plots().size(),
                o.scored(), o.reused(), o.seconds());
    }
}
