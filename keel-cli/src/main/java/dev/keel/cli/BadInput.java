package dev.keel.cli;

/** An import line that cannot be imported; the message says what is wrong with it (without the line number). */
final class BadInput extends Exception {
    BadInput(String message) {
        super(message, null, false, false);
    }
}
