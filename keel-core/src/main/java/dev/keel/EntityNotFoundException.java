package dev.keel;

/** An update named an entity that does not exist (never inserted, or deleted). */
public final class EntityNotFoundException extends KeelException {
    public EntityNotFoundException(String type, long id) {
        super(ErrorCode.NOT_FOUND, type + " with id " + id + " does not exist");
    }
}
