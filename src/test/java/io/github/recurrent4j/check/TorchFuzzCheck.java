package io.github.recurrent4j.check;

import io.github.recurrent4j.io.SafeTensors;
import io.github.recurrent4j.kernel.Parallel;
import io.github.recurrent4j.nn.Attention;
import io.github.recurrent4j.nn.Gru;
import io.github.recurrent4j.nn.JordanRnn;
import io.github.recurrent4j.nn.Lstm;
import io.github.recurrent4j.nn.MultiHeadAttention;
import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.RecurrentLayer;
import io.github.recurrent4j.nn.RnnState;
import io.github.recurrent4j.nn.SimpleRnn;
import io.github.recurrent4j.nn.StackedRnn;
import io.github.recurrent4j.tensor.Rng;
import io.github.recurrent4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Java side of tools/fuzz-pytorch: reads the random cases that tools/fuzz_torch.py wrote and
 * checks, on 1 and on 2 threads, the training forward, the inference forward, the backward (input,
 * initial state and every parameter gradient) and, for one-direction stacks without lengths, a
 * stream stepped row by row, against PyTorch's float64 results; for multi-head attention, the
 * Jordan network and Attention's scores, their outputs and every gradient. Prints one line per case and
 * exits with status 1 if any differs by more than {@code 1e-4} of the reference's largest magnitude
 * (plus {@code 1e-5} absolute).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes \
 *     io.github.recurrent4j.check.TorchFuzzCheck /tmp/fuzz</pre>
 */
public final class TorchFuzzCheck {
  static final double RELATIVE = 1e-4;
  static final double ABSOLUTE = 1e-5;

  private TorchFuzzCheck() {}

  public static void main(String[] args) throws IOException {
    List<Path> files;
    try (Stream<Path> listing = Files.list(Path.of(args[0]))) {
      files = listing.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    }
    int failed = 0;
    for (Path file : files) {
      SafeTensors.Contents contents = SafeTensors.load(file);
      List<String> problems = new ArrayList<>();
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        try {
          check(contents.tensors(), contents.metadata(), threads, problems);
        } catch (RuntimeException e) {
          problems.add("threads=" + threads + " threw " + e);
        }
      }
      System.out.println((problems.isEmpty() ? "ok   " : "FAIL ") + file.getFileName() + " " + contents.metadata()
          + (problems.isEmpty() ? "" : "\n    " + String.join("\n    ", problems)));
      failed += problems.isEmpty() ? 0 : 1;
    }
    System.out.println(failed + " of " + files.size() + " cases failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  static StackedRnn build(Map<String, String> m) {
    int input = Integer.parseInt(m.get("input"));
    int hidden = Integer.parseInt(m.get("hidden"));
    int proj = Integer.parseInt(m.get("proj"));
    Rng rng = new Rng(1);
    RecurrentLayer first = switch (m.get("kind")) {
      case "lstm" -> new Lstm(input, hidden, Lstm.Options.defaults().withProjection(proj), rng);
      case "lstm_custom" -> new Lstm(input, hidden, Lstm.Options.defaults().withProjection(proj)
          .withPeepholes(Boolean.parseBoolean(m.get("peepholes").toLowerCase()))
          .withActivation(Lstm.Activation.valueOf(m.get("activation"))), rng);
      case "gru" -> new Gru(input, hidden, rng);
      case "gru_reset_before" -> new Gru(input, hidden, true, rng);
      case "rnn_tanh" -> new SimpleRnn(input, hidden, SimpleRnn.Nonlinearity.TANH, rng);
      case "rnn_relu" -> new SimpleRnn(input, hidden, SimpleRnn.Nonlinearity.RELU, rng);
      default -> throw new IllegalArgumentException("unknown kind " + m.get("kind"));
    };
    if (!Boolean.parseBoolean(m.get("bias").toLowerCase())) {
      first.withoutBias();
    }
    return new StackedRnn(first, Integer.parseInt(m.get("layers")), Boolean.parseBoolean(m.get("bidirectional").toLowerCase()),
        0f, rng);
  }

  static void check(Map<String, Tensor> f, Map<String, String> m, int threads, List<String> problems) {
    String at = "threads=" + threads + " ";
    switch (m.get("kind")) {
      case "mha" -> {
        checkAttention(f, m, at, problems);
        return;
      }
      case "jordan" -> {
        checkJordan(f, m, at, problems);
        return;
      }
      case "attention" -> {
        checkScores(f, m, at, problems);
        return;
      }
      default -> { }
    }
    boolean lstm = m.get("kind").startsWith("lstm");
    StackedRnn stack = build(m);
    stack.loadStateDict(params(f));
    int[] lengths = f.containsKey("lengths") ? ints(f.get("lengths")) : null;
    RnnState initial = f.containsKey("h0") ? new RnnState(f.get("h0"), f.get("c0")) : null;
    Tensor x = f.get("input");

    RecurrentLayer.Result inferred = stack.infer(x, lengths, initial);
    compare(at + "infer output", inferred.output(), f.get("output"), problems);
    compare(at + "infer h_n", inferred.finalState().h(), f.get("h_n"), problems);

    Tensor y = stack.forward(x, lengths, initial);
    compare(at + "output", y, f.get("output"), problems);
    compare(at + "h_n", stack.finalState().h(), f.get("h_n"), problems);
    if (lstm) {
      compare(at + "c_n", stack.finalState().c(), f.get("c_n"), problems);
      compare(at + "infer c_n", inferred.finalState().c(), f.get("c_n"), problems);
    }
    Tensor dx = stack.backward(f.get("grad_output"), new RnnState(f.get("grad_h_n"), f.get("grad_c_n")));
    compare(at + "grad_input", dx, f.get("grad_input"), problems);
    if (initial != null) {
      compare(at + "grad_h0", stack.initialStateGrad().h(), f.get("grad_h0"), problems);
      if (lstm) {
        compare(at + "grad_c0", stack.initialStateGrad().c(), f.get("grad_c0"), problems);
      }
    }
    for (Parameter p : stack.parameters()) {
      compare(at + "grad " + p.name(), p.grad(), f.get("grad." + p.name()), problems);
    }
    if (lengths == null && !Boolean.parseBoolean(m.get("bidirectional").toLowerCase())) {
      checkStream(stack, x, initial, f.get("output"), at, problems);
    }
  }

  /** Self- or cross-attention with key padding and maybe a causal mask: output, weights, every gradient. */
  static void checkAttention(Map<String, Tensor> f, Map<String, String> m, String at, List<String> problems) {
    MultiHeadAttention mha = new MultiHeadAttention(Integer.parseInt(m.get("embed")), Integer.parseInt(m.get("heads")),
        new Rng(1));
    mha.loadStateDict(params(f));
    boolean self = Boolean.parseBoolean(m.get("self").toLowerCase());
    Tensor q = f.get("query");
    Tensor k = self ? q : f.get("key");
    Tensor v = self ? q : f.get("value");
    boolean causal = Boolean.parseBoolean(m.get("causal").toLowerCase());
    Tensor y = mha.forward(q, k, v, ints(f.get("query_lengths")), ints(f.get("key_lengths")), causal);
    compare(at + "output", y, f.get("output"), problems);
    compare(at + "weights", mha.attentionWeights(false), f.get("weights"), problems);
    Tensor dy = f.get("grad_output");
    Tensor[] grads = mha.backwardAll(dy);
    if (self) {
      Tensor sum = grads[0].copy();
      for (int i = 0; i < sum.size(); i++) {
        sum.data()[i] += grads[1].data()[i] + grads[2].data()[i];
      }
      compare(at + "grad_input, the sum of backwardAll", sum, f.get("grad_query"), problems);
    } else {
      compare(at + "grad_query", grads[0], f.get("grad_query"), problems);
      compare(at + "grad_key", grads[1], f.get("grad_key"), problems);
      compare(at + "grad_value", grads[2], f.get("grad_value"), problems);
    }
    compareGrads(at, mha, f, problems);
    if (self) {
      zeroGrads(mha);
      mha.forward(q, k, v, ints(f.get("query_lengths")), ints(f.get("key_lengths")), causal);
      compare(at + "grad_input by backward", mha.backward(dy), f.get("grad_query"), problems);
      compareGrads(at + "backward ", mha, f, problems);
      if (!causal && allFull(f.get("key_lengths"), q.dim(1))) {
        zeroGrads(mha);
        compare(at + "output by forward(x)", mha.forward(q), f.get("output"), problems);
        compare(at + "grad_input by backward after forward(x)", mha.backward(dy), f.get("grad_query"), problems);
        compareGrads(at + "forward(x) ", mha, f, problems);
      }
    }
  }

  static void compareGrads(String at, MultiHeadAttention mha, Map<String, Tensor> f, List<String> problems) {
    for (Parameter p : mha.parameters()) {
      compare(at + "grad " + p.name(), p.grad(), f.get("grad." + p.name()), problems);
    }
  }

  static void zeroGrads(MultiHeadAttention mha) {
    for (Parameter p : mha.parameters()) {
      p.zeroGrad();
    }
  }

  /** The Jordan network: output, final y, and the gradients of input, initial y and parameters. */
  static void checkJordan(Map<String, Tensor> f, Map<String, String> m, String at, List<String> problems) {
    JordanRnn layer = new JordanRnn(Integer.parseInt(m.get("input")), Integer.parseInt(m.get("hidden")),
        Integer.parseInt(m.get("output")), JordanRnn.OutputActivation.valueOf(m.get("activation")), new Rng(1));
    layer.loadStateDict(params(f));
    int[] lengths = f.containsKey("lengths") ? ints(f.get("lengths")) : null;
    Tensor y = layer.forward(f.get("input"), lengths, RnnState.of(f.get("h0")));
    compare(at + "output", y, f.get("output"), problems);
    compare(at + "y_n", layer.finalState().h(), f.get("h_n"), problems);
    Tensor dx = layer.backward(f.get("grad_output"), RnnState.of(f.get("grad_h_n")));
    compare(at + "grad_input", dx, f.get("grad_input"), problems);
    compare(at + "grad_y0", layer.initialStateGrad().h(), f.get("grad_h0"), problems);
    for (Parameter p : layer.parameters()) {
      compare(at + "grad " + p.name(), p.grad(), f.get("grad." + p.name()), problems);
    }
  }

  /** Attention's scores: context, weights, and the gradients of query, keys, values and parameters. */
  static void checkScores(Map<String, Tensor> f, Map<String, String> m, String at, List<String> problems) {
    Attention.Score score = Attention.Score.valueOf(m.get("score"));
    Attention attention = new Attention(score, Integer.parseInt(m.get("query_dim")), Integer.parseInt(m.get("key_dim")),
        score == Attention.Score.ADDITIVE ? Integer.parseInt(m.get("hidden")) : 0, new Rng(1));
    attention.loadStateDict(params(f));
    Attention.Attended a = attention.attend(f.get("query"), f.get("keys"), f.get("values"),
        ints(f.get("key_lengths")));
    compare(at + "context", a.context(), f.get("context"), problems);
    compare(at + "weights", a.weights(), f.get("weights"), problems);
    Attention.Grads g = a.backward(f.get("grad_context"), f.get("grad_weights"));
    compare(at + "grad_query", g.query(), f.get("grad_query"), problems);
    compare(at + "grad_keys", g.keys(), f.get("grad_keys"), problems);
    compare(at + "grad_values", g.values(), f.get("grad_values"), problems);
    for (Parameter p : attention.parameters()) {
      compare(at + "grad " + p.name(), p.grad(), f.get("grad." + p.name()), problems);
    }
  }

  static boolean allFull(Tensor lengths, int steps) {
    for (float l : lengths.data()) {
      if (Math.round(l) != steps) {
        return false;
      }
    }
    return true;
  }

  static Map<String, Tensor> params(Map<String, Tensor> f) {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    f.forEach((k, v) -> {
      if (k.startsWith("param.")) {
        weights.put(k.substring("param.".length()), v);
      }
    });
    return weights;
  }

  static int[] ints(Tensor t) {
    float[] l = t.data();
    int[] out = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      out[i] = Math.round(l[i]);
    }
    return out;
  }

  /** Streams each batch row on its own from its slice of the initial state, against the output rows. */
  static void checkStream(StackedRnn stack, Tensor x, RnnState initial, Tensor expected, String at,
      List<String> problems) {
    int b = x.dim(0);
    int t = x.dim(1);
    int in = x.dim(2);
    int out = expected.dim(2);
    float[] got = new float[b * t * out];
    StackedRnn.Stream stream = stack.newStream();
    for (int bi = 0; bi < b; bi++) {
      stream.reset(initial == null ? null : new RnnState(row(initial.h(), bi), initial.c() == null ? null
          : row(initial.c(), bi)));
      for (int s = 0; s < t; s++) {
        float[] xt = new float[in];
        System.arraycopy(x.data(), (bi * t + s) * in, xt, 0, in);
        System.arraycopy(stream.step(xt), 0, got, (bi * t + s) * out, out);
      }
    }
    compare(at + "stream output", Tensor.of(got, b, t, out), expected, problems);
  }

  /** Batch row {@code bi} of a state [L, B, H], as [L, 1, H]. */
  static Tensor row(Tensor state, int bi) {
    int levels = state.dim(0);
    int b = state.dim(1);
    int h = state.dim(2);
    float[] data = new float[levels * h];
    for (int k = 0; k < levels; k++) {
      System.arraycopy(state.data(), (k * b + bi) * h, data, k * h, h);
    }
    return Tensor.of(data, levels, 1, h);
  }

  static void compare(String what, Tensor got, Tensor expected, List<String> problems) {
    if (got == null || expected == null) {
      problems.add(what + ": " + (got == null ? "missing on our side" : "missing in the case file"));
      return;
    }
    if (!java.util.Arrays.equals(got.shape(), expected.shape())) {
      problems.add(what + ": shape " + got.shapeString() + " against " + expected.shapeString());
      return;
    }
    double scale = 0;
    for (float v : expected.data()) {
      scale = Math.max(scale, Math.abs(v));
    }
    double worst = 0;
    for (int i = 0; i < got.size(); i++) {
      double d = Math.abs((double) got.data()[i] - expected.data()[i]);
      worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
    }
    if (worst > ABSOLUTE + RELATIVE * scale) {
      problems.add(String.format("%s: max |difference| %.3g against largest |reference| %.3g", what, worst, scale));
    }
  }
}
