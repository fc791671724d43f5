package io.github.recurrent4j.examples;

import io.github.recurrent4j.tensor.Rng;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Seeded free-form dates and their ISO forms, for the date-normalisation demo: "May 1st, 2019",
 * "1/5/19" (day first), "2019年5月1日", "Wednesday, May 1, 2019", "the 1st of may 2019" and more, all
 * meaning 2019-05-01. Dates run from 1950 to 2049, so two-digit years are unambiguous.
 */
final class DateData {
  /** Every character a source may hold: printable ASCII and 年, 月, 日. */
  static final String SOURCE_ALPHABET;
  /** The target characters; bos and eos follow them. */
  static final String TARGET_ALPHABET = "0123456789-";

  static {
    StringBuilder b = new StringBuilder();
    for (char c = 32; c < 127; c++) {
      b.append(c);
    }
    SOURCE_ALPHABET = b.append("年月日").toString();
  }

  record Example(String source, String target) {}

  private DateData() {}

  /** {@code count} examples on distinct dates, none of them in {@code exclude}; adds their dates to it. */
  static List<Example> generate(int count, Set<LocalDate> exclude, Rng rng) {
    List<Example> out = new ArrayList<>();
    LocalDate first = LocalDate.of(1950, 1, 1);
    int days = (int) (LocalDate.of(2049, 12, 31).toEpochDay() - first.toEpochDay()) + 1;
    while (out.size() < count) {
      LocalDate d = first.plusDays(rng.nextInt(days));
      if (exclude.add(d)) {
        out.add(new Example(format(d, rng.nextInt(FORMATS)), d.toString()));
      }
    }
    return out;
  }

  static final int FORMATS = 12;

  /** One of the free-form spellings of {@code d}. */
  static String format(LocalDate d, int style) {
    int day = d.getDayOfMonth();
    int month = d.getMonthValue();
    int year = d.getYear();
    String monthName = d.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    String shortMonth = d.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
    String weekday = d.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    String yy = String.format("%02d", year % 100);
    return switch (style) {
      case 0 -> monthName + " " + ordinal(day) + ", " + year;
      case 1 -> day + "/" + month + "/" + yy;
      case 2 -> year + "年" + month + "月" + day + "日";
      case 3 -> day + " " + monthName + " " + year;
      case 4 -> String.format("%02d.%02d.%d", day, month, year);
      case 5 -> monthName.toLowerCase(Locale.ROOT) + " " + day + " " + year;
      case 6 -> weekday + ", " + monthName + " " + day + ", " + year;
      case 7 -> d.toString();
      case 8 -> shortMonth + " " + day + ", " + year;
      case 9 -> "the " + ordinal(day) + " of " + monthName.toLowerCase(Locale.ROOT) + " " + year;
      case 10 -> String.format("%02d/%02d/%d", day, month, year);
      case 11 -> day + "-" + shortMonth.toUpperCase(Locale.ROOT) + "-" + yy;
      default -> throw new IllegalArgumentException("no date style " + style);
    };
  }

  static String ordinal(int n) {
    String suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : switch (n % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    };
    return n + suffix;
  }

  /** The source as ids into {@link #SOURCE_ALPHABET}. */
  static int[] sourceIds(String s) {
    int[] ids = new int[s.length()];
    for (int i = 0; i < s.length(); i++) {
      ids[i] = SOURCE_ALPHABET.indexOf(s.charAt(i));
      if (ids[i] < 0) {
        throw new IllegalArgumentException("character '" + s.charAt(i) + "' of \"" + s + "\" is not in the alphabet");
      }
    }
    return ids;
  }

  static int[] targetIds(String s) {
    int[] ids = new int[s.length()];
    for (int i = 0; i < s.length(); i++) {
      ids[i] = TARGET_ALPHABET.indexOf(s.charAt(i));
    }
    return ids;
  }

  static String targetText(int[] ids) {
    StringBuilder b = new StringBuilder();
    for (int id : ids) {
      b.append(id < TARGET_ALPHABET.length() ? TARGET_ALPHABET.charAt(id) : '?');
    }
    return b.toString();
  }

  static Set<LocalDate> noDates() {
    return new HashSet<>();
  }
}
