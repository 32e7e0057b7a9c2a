package org.expertlm.engine.internal;

import java.nio.file.Path;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.common.config.ND4JClassLoading;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Prepares ND4J for life inside a bundle, once per JVM: JavaCPP's native cache folder and memory caps
 * (system properties JavaCPP reads when it first loads), then ND4J's class loader (so that its
 * ServiceLoader finds the backend in this bundle). Each operation runs on one thread: the engine
 * runs batches side by side instead, which is faster here (see bench/README.md).
 */
final class Nd4jRuntime {

    private static boolean started;

    private Nd4jRuntime() {
    }

    static synchronized void start(Path nativeCache, long maxBytes, long maxPhysicalBytes) {
        if (started) {
            return;
        }
        System.setProperty("org.bytedeco.javacpp.cachedir", nativeCache.toString());
        System.setProperty("org.bytedeco.javacpp.maxbytes", Long.toString(maxBytes));
        System.setProperty("org.bytedeco.javacpp.maxphysicalbytes", Long.toString(maxPhysicalBytes));
        ND4JClassLoading.setNd4jClassloaderFromClass(Nd4j.class);
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        Nd4j.factory().blas().setMaxThreads(1);
        started = true;
    }

    /** {@code CPU (nd4j-native …)} or {@code CUDA (nd4j-cuda-11.6 …)}. */
    static String backend() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        boolean cuda = backend.contains("Cublas") || backend.contains("Cuda");
        String kernels = System.getenv("OPENBLAS_CORETYPE");
        return (cuda ? "CUDA (nd4j-cuda-11.6 " : "CPU (nd4j-native ") + EngineComponent.ND4J_VERSION + ", "
                + Nd4j.factory().blas().getBlasVendor() + (kernels == null ? "" : " " + kernels + " kernels") + ")";
    }

    static long maxBytes() {
        return Pointer.maxBytes();
    }

    static long maxPhysicalBytes() {
        return Pointer.maxPhysicalBytes();
    }
}
