package io.github.recurrent4j.examples;

import io.github.recurrent4j.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seeded flight-booking requests with BIO slot tags (FROM, TO, DATE, TIME, AIRLINE, CLASS). A
 * city's role is decided by its context ("arrive in", "leave", "from … to", "heading to", "out
 * of"), never by the city: the same city is an origin in one sentence and a destination in the
 * next. Test sentences use city pairs and three templates that training never sees.
 */
final class FlightData {
  /** One tagged sentence. */
  record Sentence(List<String> words, List<String> tags) {}

  static final String[] CITIES = {"taipei", "boston", "paris", "tokyo", "london", "denver", "seattle", "chicago",
      "new york", "los angeles", "hong kong", "san francisco", "berlin", "rome", "madrid", "sydney", "toronto",
      "dallas", "miami", "atlanta", "osaka", "seoul", "lisbon", "vienna", "dublin"};
  static final String[] MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
      "september", "october", "november", "december"};
  static final String[] AIRLINES = {"united", "delta", "eva", "lufthansa", "emirates", "qantas", "klm", "jal"};
  static final String[] CLASSES = {"business class", "economy class", "first class", "premium economy"};

  private static final String[] TRAIN_TEMPLATES = {
      "i want to fly from {from} to {to} on {date}",
      "i want to arrive in {to} on {date}",
      "i want to leave {from} on {date}",
      "leaving {from} at {time} heading to {to}",
      "book a {class} ticket to {to} from {from}",
      "depart from {from} on {date} with {airline}",
      "show me {airline} flights arriving in {to} before {time}",
      "i need to get out of {from} by {time}",
      "get me to {to} on {date} in {class}",
      "flights from {from} to {to} at {time}",
      "i would like to go to {to} from {from} on {airline}",
      "what flights leave {from} for {to} on {date}",
      "i am flying to {to} on {date}",
      "fly me out of {from} to {to} at {time}",
      "i will be leaving {from} on {date} in {class}",
      "we land in {to} at {time} with {airline}",
      "we touch down in {to} on {date} on {airline}",
      "a {class} seat from {from} please",
      "i have to be in {to} by {time}",
      "on {date} i leave {from} for {to}",
      "by {date} i must reach {to}",
      "{airline} from {from} to {to} on {date}",
      "which flights depart {from} at {time}",
      "i am traveling from {from} and arriving in {to} on {date}",
      "get me out of {from} on {date} and into {to} by {time}",
      "find a flight to {to} leaving {from} on {date}",
  };
  private static final String[] TEST_TEMPLATES = {
      "i am flying out of {from} to {to} on {date}",
      "please find a {airline} flight landing in {to} at {time}",
      "i must be in {to} by {date} leaving {from}",
  };

  private FlightData() {}

  /** True for the city pairs kept for the test split. */
  static boolean heldOut(int from, int to) {
    return (from * 7 + to * 3) % 5 == 0;
  }

  /** {@code count} sentences of the train (held-out pairs and templates excluded) or test split. */
  static List<Sentence> generate(int count, boolean test, Rng rng) {
    List<Sentence> out = new ArrayList<>();
    while (out.size() < count) {
      int from = rng.nextInt(CITIES.length);
      int to = rng.nextInt(CITIES.length);
      if (from == to || heldOut(from, to) != test) {
        continue;
      }
      String template = test && rng.nextInt(2) == 0 ? TEST_TEMPLATES[rng.nextInt(TEST_TEMPLATES.length)]
          : TRAIN_TEMPLATES[rng.nextInt(TRAIN_TEMPLATES.length)];
      out.add(fill(template, CITIES[from], CITIES[to], rng));
    }
    return out;
  }

  /** The template with its slots filled and every word tagged. */
  static Sentence fill(String template, String from, String to, Rng rng) {
    List<String> words = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    for (String token : template.split(" ")) {
      switch (token) {
        case "{from}" -> add(words, tags, from, "FROM");
        case "{to}" -> add(words, tags, to, "TO");
        case "{date}" -> add(words, tags, MONTHS[rng.nextInt(12)] + " " + (1 + rng.nextInt(28)), "DATE");
        case "{time}" -> add(words, tags, (1 + rng.nextInt(12)) + (rng.nextInt(2) == 0 ? " am" : " pm"), "TIME");
        case "{airline}" -> add(words, tags, AIRLINES[rng.nextInt(AIRLINES.length)], "AIRLINE");
        case "{class}" -> add(words, tags, CLASSES[rng.nextInt(CLASSES.length)], "CLASS");
        default -> {
          words.add(token);
          tags.add("O");
        }
      }
    }
    return new Sentence(words, tags);
  }

  private static void add(List<String> words, List<String> tags, String phrase, String slot) {
    String[] parts = phrase.split(" ");
    for (int i = 0; i < parts.length; i++) {
      words.add(parts[i]);
      tags.add((i == 0 ? "B-" : "I-") + slot);
    }
  }

  /** The sentence as words, untagged (for the article's examples). */
  static List<String> words(String sentence) {
    return Arrays.asList(sentence.split(" "));
  }
}
