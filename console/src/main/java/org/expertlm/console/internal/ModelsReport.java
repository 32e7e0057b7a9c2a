package org.expertlm.console.internal;

import java.util.List;

import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ExpertDescriptor;

/**
 * What {@code elm:models} returns: the model store's base models and the experts trained here.
 *
 * @param folder where models trained here are kept
 * @param baseModels every base model, by id
 * @param experts every expert trained here
 */
record ModelsReport(String folder, List<BaseModelRef> baseModels, List<ExpertSummary> experts) {

    /**
     * An expert in one line.
     *
     * @param name id@version
     * @param kind prompt, dataset or multitask
     * @param task what it learned
     * @param base the base model it adapts
     * @param tensorsSha256 its tensors' digest
     */
    record ExpertSummary(String name, String kind, String task, String base, String tensorsSha256) {

        static ExpertSummary of(ExpertDescriptor d) {
            return new ExpertSummary(d.name(), d.kind().id(), d.task(), d.base().id(), d.tensorsSha256());
        }
    }
}
