package org.expertlm.eval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** The report's plots, drawn headless by JFreeChart into PNG files (written atomically). */
final class Charts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;

    private Charts() {
    }

    /** The paper's Figure 1: per unseen task, how many single experts beat the multitask baseline and how many do not. */
    static void singlesAgainstBaseline(Path file, Results r) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Results.Unseen u : r.unseen) {
            double mt = u.baselines.get(r.baselines.get(0));
            long above = Figures.above(u.singles, mt);
            data.addValue(above, "above the multitask baseline", u.template);
            data.addValue(u.singles.size() - above, "at or below it", u.template);
        }
        save(file, ChartFactory.createStackedBarChart("Single experts against the multitask baseline, per unseen task", "task",
                "experts", data, PlotOrientation.HORIZONTAL, true, false, false));
    }

    /** Mean accuracy over the unseen tasks against Q, the number of instances that vote, with the baseline beside. */
    static void accuracyAgainstQ(Path file, Results r, double baseline) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Map.Entry<Integer, Double> e : r.q.entrySet()) {
            data.addValue(e.getValue(), "RoE per task", "Q = " + e.getKey());
            data.addValue(baseline, "multitask", "Q = " + e.getKey());
        }
        save(file, ChartFactory.createLineChart("Mean accuracy on the unseen tasks against Q", "voting instances", "accuracy", data,
                PlotOrientation.VERTICAL, true, false, false));
    }

    /** Per retrieval arm, the share of the oracle's gain over the baseline it captures (of the means over tasks). */
    static void shareOfGain(Path file, Map<String, Double> shares) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        shares.forEach((arm, share) -> data.addValue(Double.isNaN(share) ? 0 : 100 * share, "share of the oracle's gain", arm));
        save(file, ChartFactory.createBarChart("Share of the oracle's gain over the multitask baseline, per arm", "arm", "%",
                data, PlotOrientation.VERTICAL, false, false, false));
    }

    private static void save(Path file, JFreeChart chart) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, WIDTH, HEIGHT);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the plot " + file + " failed", e);
        }
    }
}
