/** Small helpers shared by every layer: preconditions and closing resources. */
package dev.keel.internal.util;
