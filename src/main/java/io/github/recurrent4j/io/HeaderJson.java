package io.github.recurrent4j.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for exactly the JSON (RFC 8259) a safetensors header may hold. The header is
 * untrusted input, so the parser never recurses deeper than {@link #MAX_DEPTH}, rejects duplicate
 * keys, lone surrogates, control characters and trailing content (white space excepted, since
 * writers pad the header with spaces), and reports the character position of every error.
 *
 * <p>Values are {@code Map<String, Object>} (in file order), {@code List<Object>}, {@code String},
 * {@link Number} (a {@link BigInteger} for integers, a {@code Double} otherwise), {@code Boolean}
 * and {@link #NULL}.
 */
final class HeaderJson {
  /** Deeper nesting than this is rejected; a valid header needs 3 levels. */
  static final int MAX_DEPTH = 16;
  /** The JSON null. */
  static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  private final String text;
  private int pos;

  private HeaderJson(String text) {
    this.text = text;
  }

  /** Parses one JSON value that fills {@code text}, give or take surrounding white space. */
  static Object parse(String text) throws SafeTensorsFormatException {
    HeaderJson parser = new HeaderJson(text);
    parser.skipWhitespace();
    Object value = parser.value(0);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected content after the JSON value");
    }
    return value;
  }

  private SafeTensorsFormatException error(String what) {
    return new SafeTensorsFormatException("safetensors header: malformed JSON: " + what + " at character " + pos);
  }

  private Object value(int depth) throws SafeTensorsFormatException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    char ch = text.charAt(pos);
    switch (ch) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return NULL;
      default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
          return number();
        }
        throw error("unexpected character '" + printable(ch) + "'");
    }
  }

  private Map<String, Object> object(int depth) throws SafeTensorsFormatException {
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a string key");
      }
      int keyAt = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object v = value(depth + 1);
      if (map.containsKey(key)) {
        pos = keyAt;
        throw error("duplicate key \"" + key + "\"");
      }
      map.put(key, v);
      skipWhitespace();
      char ch = peek();
      if (ch == ',') {
        pos++;
      } else if (ch == '}') {
        pos++;
        return map;
      } else {
        throw error("expected ',' or '}' in an object");
      }
    }
  }

  private List<Object> array(int depth) throws SafeTensorsFormatException {
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth + 1));
      skipWhitespace();
      char ch = peek();
      if (ch == ',') {
        pos++;
      } else if (ch == ']') {
        pos++;
        return list;
      } else {
        throw error("expected ',' or ']' in an array");
      }
    }
  }

  private String string() throws SafeTensorsFormatException {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char ch = text.charAt(pos);
      if (ch == '"') {
        pos++;
        return sb.toString();
      }
      if (ch < 0x20) {
        throw error("control character U+" + String.format("%04X", (int) ch) + " in a string");
      }
      if (Character.isSurrogate(ch)) {
        // Raw surrogates come only in valid pairs, since the header was decoded from strict UTF-8.
        sb.append(ch);
        pos++;
        continue;
      }
      if (ch != '\\') {
        sb.append(ch);
        pos++;
        continue;
      }
      pos++;
      if (pos >= text.length()) {
        throw error("unterminated escape");
      }
      char esc = text.charAt(pos++);
      switch (esc) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case '/' -> sb.append('/');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          char unit = hex4();
          if (Character.isHighSurrogate(unit)) {
            if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
              pos += 2;
              char low = hex4();
              if (!Character.isLowSurrogate(low)) {
                throw error("high surrogate escape not followed by a low surrogate");
              }
              sb.append(unit).append(low);
            } else {
              throw error("lone high surrogate escape");
            }
          } else if (Character.isLowSurrogate(unit)) {
            throw error("lone low surrogate escape");
          } else {
            sb.append(unit);
          }
        }
        default -> {
          pos--;
          throw error("invalid escape '\\" + printable(esc) + "'");
        }
      }
    }
  }

  private char hex4() throws SafeTensorsFormatException {
    if (pos + 4 > text.length()) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos), 16);
      if (d < 0 || text.charAt(pos) > 'f') {
        throw error("invalid hex digit in \\u escape");
      }
      v = v * 16 + d;
      pos++;
    }
    return (char) v;
  }

  private Number number() throws SafeTensorsFormatException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("invalid number");
    }
    boolean integer = true;
    if (peek() == '.') {
      integer = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("invalid number: digits expected after '.'");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("invalid number: digits expected in the exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    String literal = text.substring(start, pos);
    if (integer) {
      if (literal.length() > 40) {
        throw error("integer with more than 40 digits");
      }
      return new BigInteger(literal);
    }
    if (literal.length() > 64) {
      throw error("number longer than 64 characters");
    }
    return Double.valueOf(literal);
  }

  private void literal(String word) throws SafeTensorsFormatException {
    if (!text.startsWith(word, pos)) {
      throw error("invalid literal, expected " + word);
    }
    pos += word.length();
  }

  private void expect(char ch) throws SafeTensorsFormatException {
    if (peek() != ch) {
      throw error("expected '" + ch + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private static boolean isDigit(char ch) {
    return ch >= '0' && ch <= '9';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char ch = text.charAt(pos);
      if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
        pos++;
      } else {
        return;
      }
    }
  }

  private static String printable(char ch) {
    return ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("U+%04X", (int) ch);
  }

  /** Writes {@code s} as a JSON string literal, escaping what RFC 8259 requires. */
  static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    sb.append('"');
  }
}
