package io.github.recurrent4j.optim;

import io.github.recurrent4j.nn.Parameter;
import io.github.recurrent4j.nn.StateDictException;
import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients, with {@code torch.optim}'s rules. An optimizer sees only
 * parameters, never layers; layers never see learning rates.
 *
 * <p>Its state (the step count and per-parameter buffers such as Adam's moments) is saved by
 * {@link #stateDict()} and restored by {@link #loadStateDict}, so training can resume exactly.
 */
public abstract class Optimizer {
  protected final List<Parameter> parameters;
  protected long steps;
  protected double lr; // the current learning rate; schedules change it
  private final Map<String, float[][]> buffers = new LinkedHashMap<>(); // name -> one array per parameter

  protected Optimizer(List<Parameter> parameters) {
    if (parameters == null || parameters.isEmpty()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": needs at least one parameter");
    }
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i) == null) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " is null");
      }
    }
    this.parameters = List.copyOf(parameters);
  }

  /** Registers a state buffer: one array per parameter, of its size, filled with {@code initial}. */
  protected final float[][] buffer(String name, float initial) {
    float[][] arrays = new float[parameters.size()][];
    for (int i = 0; i < arrays.length; i++) {
      arrays[i] = new float[parameters.get(i).size()];
      Arrays.fill(arrays[i], initial);
    }
    buffers.put(name, arrays);
    return arrays;
  }

  /** The parameters this optimizer updates. */
  public List<Parameter> parameters() {
    return parameters;
  }

  /** The current learning rate. */
  public double learningRate() {
    return lr;
  }

  /** Sets the learning rate for the next steps (what a schedule does). */
  public void setLearningRate(double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(this + ": learning rate must be finite and >= 0, got " + value);
    }
    lr = value;
  }

  /** The number of steps taken. */
  public long steps() {
    return steps;
  }

  /** Sets every parameter's gradient to zero. */
  public void zeroGrad() {
    for (Parameter p : parameters) {
      p.zeroGrad();
    }
  }

  /** One update from the current gradients. */
  public abstract void step();

  /**
   * A copy of the state: {@code "step"} (the count as two exact floats, high and low 24 bits) and
   * {@code "<buffer>.<i>"} for parameter i, in its shape.
   */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("step", Tensor.of(new float[] {(float) (steps >>> 24), (float) (steps & 0xFFFFFF)}, 2));
    for (Map.Entry<String, float[][]> e : buffers.entrySet()) {
      for (int i = 0; i < parameters.size(); i++) {
        out.put(e.getKey() + "." + i, Tensor.of(e.getValue()[i].clone(), parameters.get(i).value().shape()));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Restores a state from {@link #stateDict()}, strictly: every problem at once, and nothing changes on failure. */
  public void loadStateDict(Map<String, Tensor> state) {
    if (state == null) {
      throw new IllegalArgumentException(this + ": cannot load a null state");
    }
    Map<String, Tensor> expected = stateDict();
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      Tensor given = state.get(e.getKey());
      if (!state.containsKey(e.getKey())) {
        missing.add(e.getKey());
      } else if (given == null || !given.hasShape(e.getValue().shape())) {
        mismatched.add(e.getKey() + ": expected " + e.getValue().shapeString() + " but got "
            + (given == null ? "null" : given.shapeString()));
      }
    }
    for (String key : state.keySet()) {
      if (!expected.containsKey(key)) {
        unexpected.add(key);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
      throw new StateDictException(this + ": cannot load optimizer state: missing keys " + missing
          + "; unexpected keys " + unexpected + "; wrong shapes " + mismatched, missing, unexpected, mismatched);
    }
    float[] step = state.get("step").data();
    steps = ((long) step[0] << 24) | (long) step[1];
    for (Map.Entry<String, float[][]> e : buffers.entrySet()) {
      for (int i = 0; i < parameters.size(); i++) {
        float[] from = state.get(e.getKey() + "." + i).data();
        System.arraycopy(from, 0, e.getValue()[i], 0, from.length);
      }
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + parameters.size() + " parameters)";
  }
}
