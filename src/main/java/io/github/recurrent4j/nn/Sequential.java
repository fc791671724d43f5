package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layers applied one after another, as {@code torch.nn.Sequential}. Sequence layers get the
 * lengths; other layers (a {@link Linear} at every time step) see the whole {@code [B, T, F]}
 * tensor, and their outputs and gradients at padded steps are set to zero, so padding stays
 * inert through the stack. After a layer that removes the time axis (a {@link SequencePooling}),
 * lengths no longer apply.
 *
 * <p>State-dict keys carry the layer's index, as PyTorch's: {@code 0.weight_ih_l0}, {@code 1.weight}.
 */
public final class Sequential implements SequenceLayer {
  private final List<Layer> layers;
  private boolean[] masked; // per layer: whether its output was masked by lengths in the last forward
  private int[] lengths; // (B) of the last forward, or null

  public Sequential(Layer... layers) {
    if (layers == null || layers.length == 0) {
      throw new IllegalArgumentException("Sequential: needs at least one layer");
    }
    for (int i = 0; i < layers.length; i++) {
      if (layers[i] == null) {
        throw new IllegalArgumentException("Sequential: layer " + i + " is null");
      }
    }
    this.layers = List.of(layers);
  }

  public List<Layer> layers() {
    return layers;
  }

  @Override
  public Tensor forward(Tensor x, int[] lengths) {
    if (x == null) {
      throw new IllegalArgumentException(this + ": input is null");
    }
    masked = new boolean[layers.size()];
    boolean sequence = x.rank() == 3;
    if (lengths != null && sequence) {
      lengths = SequenceLengths.check(this, lengths, x.dim(0), x.dim(1)); // once, for every layer
    }
    this.lengths = lengths == null ? null : lengths.clone();
    Tensor h = x;
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      Tensor in = h;
      int[] lens = lengths;
      if (layer instanceof SequenceLayer s && sequence) {
        h = LayerErrors.within(this, i, () -> s.forward(in, lens));
      } else {
        h = LayerErrors.within(this, i, () -> layer.forward(in));
        if (sequence && lengths != null && h.rank() == 3) {
          SequenceLengths.zeroPadded(h, lengths);
          masked[i] = true;
        }
      }
      sequence = sequence && h.rank() == 3;
    }
    return h;
  }

  @Override
  public Tensor backward(Tensor gradOutput) {
    if (masked == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    Tensor g = gradOutput;
    for (int i = layers.size() - 1; i >= 0; i--) {
      if (masked[i]) {
        g = g.copy();
        SequenceLengths.zeroPadded(g, lengths);
      }
      Tensor dy = g;
      Layer layer = layers.get(i);
      g = LayerErrors.within(this, i, () -> layer.backward(dy));
    }
    return g;
  }

    @Override
  public List<Parameter> parameters() {
    List<Parameter> all = new ArrayList<>();
    for (Layer layer : layers) {
      all.addAll(layer.parameters());
    }
    return all;
  }

  @Override
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      for (Map.Entry<String, Tensor> e : layers.get(i).stateDict().entrySet()) {
        out.put(i + "." + e.getKey(), e.getValue());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Strict: every problem in every layer is reported in one exception, and then nothing is loaded. */
  @Override
  public void loadStateDict(Map<String, Tensor> weights) {
    if (weights == null) {
      throw new IllegalArgumentException(this + ": cannot load a null state dict");
    }
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    List<Map<String, Tensor>> parts = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Map<String, Tensor> part = new LinkedHashMap<>();
      String prefix = i + ".";
      for (Map.Entry<String, Tensor> e : weights.entrySet()) {
        if (e.getKey().startsWith(prefix)) {
          part.put(e.getKey().substring(prefix.length()), e.getValue());
        }
      }
      Map<String, Tensor> expected = layers.get(i).stateDict();
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        Tensor given = part.get(e.getKey());
        if (!part.containsKey(e.getKey())) {
          missing.add(prefix + e.getKey());
        } else if (given == null || !given.hasShape(e.getValue().shape())) {
          mismatched.add(prefix + e.getKey() + ": expected " + e.getValue().shapeString() + " but got "
              + (given == null ? "null" : given.shapeString()));
        }
      }
      for (String key : part.keySet()) {
        if (!expected.containsKey(key)) {
          unexpected.add(prefix + key);
        }
      }
      parts.add(part);
    }
    for (String key : weights.keySet()) {
      int dot = key.indexOf('.');
      boolean ours = dot > 0 && key.substring(0, dot).chars().allMatch(Character::isDigit)
          && Integer.parseInt(key.substring(0, Math.min(dot, 9))) < layers.size();
      if (!ours) {
        unexpected.add(key);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
      List<String> problems = new ArrayList<>();
      if (!missing.isEmpty()) {
        problems.add("missing keys " + missing);
      }
      if (!unexpected.isEmpty()) {
        problems.add("unexpected keys " + unexpected);
      }
      if (!mismatched.isEmpty()) {
        problems.add("wrong shapes " + mismatched);
      }
      throw new StateDictException(this + ": cannot load state dict: " + String.join("; ", problems), missing,
          unexpected, mismatched);
    }
    for (int i = 0; i < layers.size(); i++) {
      layers.get(i).loadStateDict(parts.get(i));
    }
  }

  @Override
  public String toString() {
    return "Sequential" + layers;
  }
}
