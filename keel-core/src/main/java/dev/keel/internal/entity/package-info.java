/** Entity types as stored (stable ids), the entity and schema binary codecs, and record mapping. */
package dev.keel.internal.entity;
