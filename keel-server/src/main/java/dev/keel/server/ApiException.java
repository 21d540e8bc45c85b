package dev.keel.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP error answer, written by {@link Problems} as an RFC 9457 {@code application/problem+json}
 * body: {@code status}, a stable machine-readable {@code code} (listed in {@link Problems}), a short
 * {@code title} per code, a {@code detail} sentence that says what was wrong and what to do, and
 * extension members (for example {@code referrers}, {@code path}, {@code problems}).
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String title;
    private final Map<String, Object> members = new LinkedHashMap<>();
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ApiException(int status, String code, String title, String detail) {
        this(status, code, title, detail, null);
    }

    public ApiException(int status, String code, String title, String detail, Throwable cause) {
        super(Objects.requireNonNull(detail, "detail"), cause, false, false);
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
        this.title = Objects.requireNonNull(title, "title");
    }

    /** Adds an extension member to the problem body. */
    public ApiException with(String name, Object value) {
        members.put(name, value);
        return this;
    }

    /** Adds a response header (for example {@code Retry-After}). */
    public ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public Map<String, Object> members() {
        return members;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** 400 {@code bad-request}: the request is malformed; {@code detail} says how. */
    public static ApiException badRequest(String detail) {
        return new ApiException(400, "bad-request", "Bad request", detail);
    }

    /** 400 {@code invalid-field}: one JSON member is wrong; {@code path} names it (e.g. {@code /values/age}). */
    public static ApiException invalidField(String path, String detail) {
        return new ApiException(400, "invalid-field", "Invalid field", detail).with("path", path);
    }

    /** 404 {@code not-found}. */
    public static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", "Not found", detail);
    }
}
