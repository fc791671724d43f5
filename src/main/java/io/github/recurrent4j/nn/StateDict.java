package io.github.recurrent4j.nn;

import io.github.recurrent4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Snapshots and strict loading of parameters by name, shared by every module. */
public final class StateDict {
  private StateDict() {}

  /** Copies of the parameters' values, by name, in order. */
  public static Map<String, Tensor> snapshot(List<Parameter> parameters) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Parameter p : parameters) {
      out.put(p.name(), p.value().copy());
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Copies {@code weights} into the parameters, after checking all of it: a missing, unexpected,
   * null or mis-shaped entry anywhere means a {@link StateDictException} listing every problem,
   * and no parameter is changed.
   */
  public static void load(String owner, List<Parameter> parameters, Map<String, Tensor> weights) {
    if (weights == null) {
      throw new IllegalArgumentException(owner + ": cannot load a null state dict");
    }
    Map<String, Parameter> byName = new LinkedHashMap<>();
    for (Parameter p : parameters) {
      byName.put(p.name(), p);
    }
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, Parameter> e : byName.entrySet()) {
      if (!weights.containsKey(e.getKey())) {
        missing.add(e.getKey());
        continue;
      }
      Tensor t = weights.get(e.getKey());
      Tensor expected = e.getValue().value();
      if (t == null) {
        mismatched.add(e.getKey() + ": expected " + expected.shapeString() + " but got null");
      } else if (!t.hasShape(expected.shape())) {
        mismatched.add(e.getKey() + ": expected " + expected.shapeString() + " but got " + t.shapeString());
      }
    }
    for (String key : weights.keySet()) {
      if (!byName.containsKey(key)) {
        unexpected.add(String.valueOf(key));
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
      List<String> parts = new ArrayList<>();
      if (!missing.isEmpty()) {
        parts.add("missing keys " + missing);
      }
      if (!unexpected.isEmpty()) {
        parts.add("unexpected keys " + unexpected);
      }
      if (!mismatched.isEmpty()) {
        parts.add("wrong shapes " + mismatched);
      }
      throw new StateDictException(owner + ": cannot load state dict: " + String.join("; ", parts), missing, unexpected,
          mismatched);
    }
    for (Map.Entry<String, Parameter> e : byName.entrySet()) {
      e.getValue().value().copyFrom(weights.get(e.getKey()));
    }
  }
}
