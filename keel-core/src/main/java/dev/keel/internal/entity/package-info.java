/**
 * Entity types as stored (stable ids), the entity and schema binary codecs, record mapping, and
 * schema evolution: planning a migration from the stored to the declared schema and converting
 * entities between schema versions; and the system types the engine owns (reserved {@code keel_}
 * names), declared at every open.
 */
package dev.keel.internal.entity;
