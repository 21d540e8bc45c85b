/** Offline tools used by the command line and tests. */
package dev.keel.tools;
