package io.github.recurrent4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DateDataTest {
  @Test
  void everySpellingOfMayTheFirst2019() {
    LocalDate d = LocalDate.of(2019, 5, 1);
    String[] expected = {"May 1st, 2019", "1/5/19", "2019年5月1日", "1 May 2019", "01.05.2019", "may 1 2019",
        "Wednesday, May 1, 2019", "2019-05-01", "May 1, 2019", "the 1st of may 2019", "01/05/2019", "1-MAY-19"};
    assertThat(DateData.FORMATS).isEqualTo(expected.length);
    for (int style = 0; style < expected.length; style++) {
      assertThat(DateData.format(d, style)).as("style %d", style).isEqualTo(expected[style]);
    }
    assertThat(DateData.ordinal(11)).isEqualTo("11th");
    assertThat(DateData.ordinal(22)).isEqualTo("22nd");
    assertThat(DateData.ordinal(23)).isEqualTo("23rd");
    assertThat(DateData.ordinal(113)).isEqualTo("113th");
  }

  @Test
  void splitsShareNoDateAndEverySourceFitsTheAlphabet() {
    Set<LocalDate> used = new HashSet<>();
    List<DateData.Example> test = DateData.generate(300, used, new Rng(1));
    List<DateData.Example> train = DateData.generate(3000, used, new Rng(2));
    Set<String> testDates = new HashSet<>();
    test.forEach(e -> testDates.add(e.target()));
    assertThat(testDates).hasSize(300);
    assertThat(train).noneMatch(e -> testDates.contains(e.target()));
    for (DateData.Example e : train) {
      assertThat(DateData.sourceIds(e.source())).hasSize(e.source().length());
      assertThat(LocalDate.parse(e.target()).getYear()).isBetween(1950, 2049);
    }
    assertThatThrownBy(() -> DateData.sourceIds("5 мая")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("character 'м' of \"5 мая\" is not in the alphabet");
  }
}
