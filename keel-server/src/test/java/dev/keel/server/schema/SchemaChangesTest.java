package dev.keel.server.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keel.EntityType;
import dev.keel.server.schema.SchemaDocument.Format;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The change lines of a PUT, from the schemas before and after and the document's renames. */
class SchemaChangesTest {
    private static final SchemaDocument DOC = new SchemaDocument();

    @Test
    void everyKindOfChangeIsOneLine() {
        List<EntityType> before = DOC.read("""
                types:
                  - name: People
                    fields:
                      - {name: a, type: INT}
                      - {name: b, type: TEXT, required: true}
                      - {name: c, type: TEXT, default: x}
                      - {name: d, type: TEXT}
                      - {name: old, type: TEXT}
                      - {name: gone, type: TEXT}
                    indexes:
                      - {name: by_old, fields: [old]}
                      - {name: by_gone, fields: [gone]}
                  - name: Same
                    fields: [{name: x, type: TEXT}]
                """, Format.YAML);
        List<EntityType> declared = DOC.read("""
                types:
                  - name: Person
                    renamedFrom: People
                    fields:
                      - {name: a, type: LONG}
                      - {name: b, type: TEXT}
                      - {name: c, type: TEXT, default: y, required: true}
                      - {name: d, type: TEXT, maxLength: 5}
                      - {name: new, type: TEXT, renamedFrom: old}
                      - {name: added, type: BOOLEAN, default: false}
                      - {name: plain, type: TEXT}
                    indexes:
                      - {name: by_old, fields: [new]}
                      - {name: by_a, fields: [a], unique: true}
                  - name: Tag
                    fields: [{name: x, type: TEXT}]
                """, Format.YAML);
        List<EntityType> after = List.of(declared.get(0), before.get(1), declared.get(1));
        assertEquals(List.of(
                "rename type People to Person",
                "widen field Person.a from INT to LONG",
                "make field Person.b optional",
                "make field Person.c required",
                "change the default of field Person.c to \"y\"",
                "change the rules of field Person.d to d:TEXT length=0..5",
                "rename field People.old to Person.new",
                "add field Person.added (default false)",
                "add field Person.plain (nullable)",
                "drop field People.gone (its values are removed)",
                "add unique index Person.by_a[a]",
                "drop index People.by_gone",
                "add type Tag"), SchemaChanges.between(before, after, declared));
        assertEquals(List.of(), SchemaChanges.between(after, after, declared));
    }
}
