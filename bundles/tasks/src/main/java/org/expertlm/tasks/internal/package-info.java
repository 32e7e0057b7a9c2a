/** The task catalog as an OSGi service over the definitions in this bundle and the records in the data cache. */
package org.expertlm.tasks.internal;
