package org.expertlm.api;

import org.osgi.framework.Bundle;

/** The OSGi bundle states by name, for reports that people and scripts read. */
public enum BundleState {
    UNINSTALLED(Bundle.UNINSTALLED),
    INSTALLED(Bundle.INSTALLED),
    RESOLVED(Bundle.RESOLVED),
    STARTING(Bundle.STARTING),
    STOPPING(Bundle.STOPPING),
    ACTIVE(Bundle.ACTIVE);

    private final int osgiState;

    BundleState(int osgiState) {
        this.osgiState = osgiState;
    }

    /** The state for one of {@link Bundle}'s state constants. */
    public static BundleState of(int osgiState) {
        for (BundleState state : values()) {
            if (state.osgiState == osgiState) {
                return state;
            }
        }
        throw new IllegalArgumentException("not an OSGi bundle state: " + osgiState
                + "; expected one of Bundle.UNINSTALLED, INSTALLED, RESOLVED, STARTING, STOPPING, ACTIVE");
    }
}
