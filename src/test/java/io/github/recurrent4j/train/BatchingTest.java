package io.github.recurrent4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchingTest {
  @Test
  void padsRightAndReportsLengths() {
    List<Tensor> seqs = List.of(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), Tensor.of(new float[] {5, 6}, 1, 2),
        Tensor.of(new float[] {7, 8, 9, 10, 11, 12}, 3, 2));
    Batching.Batch b = Batching.pad(seqs, new int[] {1, 2, 0});
    assertThat(b.inputs().shape()).containsExactly(3, 3, 2);
    assertThat(b.lengths()).containsExactly(1, 3, 2);
    assertThat(b.inputs().data()).containsExactly(5, 6, 0, 0, 0, 0, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 0, 0);
    Batching.IdBatch ids = Batching.padIds(List.of(new int[] {4, 5}, new int[] {6}), new int[] {0, 1}, 0);
    assertThat(ids.ids()).containsExactly(4, 5, 6, 0);
    assertThat(ids.lengths()).containsExactly(2, 1);
    assertThatThrownBy(() -> Batching.pad(List.of(Tensor.zeros(2, 2), Tensor.zeros(2, 3)), new int[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Batching.pad: sequence 1 has 3 features, the others 2");
  }

  @Test
  void orderCoversEverySequenceOnceIsSeededAndBucketsBySimilarLength() {
    Rng data = new Rng(1);
    int[] lengths = new int[103];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = 1 + data.nextInt(40);
    }
    for (boolean bucket : new boolean[] {false, true}) {
      List<int[]> a = Batching.order(lengths, 8, bucket, new Rng(5));
      List<int[]> b = Batching.order(lengths, 8, bucket, new Rng(5));
      assertThat(a).usingElementComparator(Arrays::compare).isEqualTo(b);
      List<Integer> all = new ArrayList<>();
      a.forEach(batch -> Arrays.stream(batch).forEach(all::add));
      assertThat(all).hasSize(103).doesNotHaveDuplicates();
      assertThat(a).hasSize(13);
      if (bucket) {
        for (int[] batch : a) {
          int min = Arrays.stream(batch).map(i -> lengths[i]).min().getAsInt();
          int max = Arrays.stream(batch).map(i -> lengths[i]).max().getAsInt();
          assertThat(max - min).as("lengths within a bucket").isLessThanOrEqualTo(6);
        }
      }
    }
    assertThat(Batching.order(lengths, 8, false, null).get(0)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }
}
