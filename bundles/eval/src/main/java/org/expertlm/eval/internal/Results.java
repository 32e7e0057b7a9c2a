package org.expertlm.eval.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a run measured, experiment by experiment, as the report prints it. */
final class Results {

    static final String ROE_TASK = "RoE per task";
    static final String ROE_INSTANCE = "RoE per instance";
    static final String MIXTURE = "mixture of the top 3";
    static final String MERGE = "average of the top 3";
    static final String ORACLE = "oracle";

    List<String> experts = List.of();
    List<String> baselines = List.of();
    final List<Unseen> unseen = new ArrayList<>();
    final List<Seen> seen = new ArrayList<>();
    final List<Composed> composed = new ArrayList<>();
    final Map<String, Double> modes = new LinkedHashMap<>();
    final Map<String, Double> formats = new LinkedHashMap<>();
    final Map<Integer, Double> q = new TreeMap<>();
    final Map<String, Double> mixtures = new LinkedHashMap<>();
    final Map<String, Double> granularity = new LinkedHashMap<>();
    final Map<Integer, Double> librarySizes = new TreeMap<>();
    Continual continual;

    /** One unseen task: the baselines, every single expert, and each retrieval arm. */
    static final class Unseen {
        final String template;
        final int instances;
        final Map<String, Double> baselines = new LinkedHashMap<>();
        final Map<String, Double> singles = new TreeMap<>();
        final Map<String, Double> arms = new LinkedHashMap<>();
        String chosen = "";
        String oracle = "";

        Unseen(String template, int instances) {
            this.template = template;
            this.instances = instances;
        }
    }

    /** One training template on its validation split. */
    static final class Seen {
        final String template;
        final String cluster;
        final int instances;
        double multitask;
        double routed;
        double own;
        String chosen = "";

        Seen(String template, String cluster, int instances) {
            this.template = template;
            this.cluster = cluster;
            this.instances = instances;
        }
    }

    /** One composed task: the baselines, each member alone, each merge, in that order, and random answering. */
    static final class Composed {
        final String template;
        final int instances;
        final double chance;
        final Map<String, Double> scores = new LinkedHashMap<>();
        final Map<String, Double> baselines = new LinkedHashMap<>();
        final Map<String, Double> members = new LinkedHashMap<>();
        final Map<String, Double> merges = new LinkedHashMap<>();

        Composed(String template, int instances, double chance) {
            this.template = template;
            this.instances = instances;
            this.chance = chance;
        }

        void put(Map<String, Double> role, String model, double accuracy) {
            role.put(model, accuracy);
            scores.put(model, accuracy);
        }
    }

    /**
     * Experiment 3: per model (the multitask baseline before and after each sequential fine-tune, the library routed
     * before and after the new experts came, the experts' own), its mean on the seen tasks and its score on each new
     * task.
     */
    static final class Continual {
        static final String SEEN = "seen";
        static final String LIBRARY_BEFORE = "library, RoE-routed, before";
        static final String LIBRARY_AFTER = "library, RoE-routed, after the new experts";
        static final String OWN = "each task's own prompt expert";

        final List<String> tasks;
        final int seenTemplates;
        final Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
        /** The seen templates whose own expert, scored again after the new experts came, answered the same. */
        int identical;
        double largestDifference;
        /** The seen templates whose routed expert changed: template to "before → after". */
        final Map<String, String> rerouted = new TreeMap<>();
        /** The expert RoE chose for each new task once the new experts were in. */
        final Map<String, String> chosen = new LinkedHashMap<>();

        Continual(List<String> tasks, int seenTemplates) {
            this.tasks = List.copyOf(tasks);
            this.seenTemplates = seenTemplates;
        }
    }
}
