package dev.keel.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error answers (a request so malformed that it never reaches a route: a bad percent
 * escape or a NUL in the path, an ambiguous URI) as problem documents like every other error,
 * instead of Jetty's HTML page. Code {@code bad-request} for 4xx, {@code internal} for 5xx.
 */
final class JettyProblemErrors extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        String problemCode = code >= 500 ? "internal" : code == 404 ? "not-found" : "bad-request";
        String title = HttpStatus.getMessage(code);
        String detail = code >= 500 ? "the server failed before the request reached the API; see its log"
                : "the request could not be read" + (message != null ? " (" + message + ")" : "")
                        + "; check the URL's percent-escapes and the headers";
        String body = "{\"type\":" + quote(Problems.TYPE_BASE + problemCode) + ",\"title\":" + quote(title)
                + ",\"status\":" + code + ",\"detail\":" + quote(detail) + ",\"code\":" + quote(problemCode) + "}";
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.MEDIA_TYPE);
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
