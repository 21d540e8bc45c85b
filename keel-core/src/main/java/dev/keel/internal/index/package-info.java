/**
 * Secondary indexes: order-preserving key encoding and the persistent sorted key set they are
 * stored in.
 */
package dev.keel.internal.index;
