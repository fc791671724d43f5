package io.github.recurrent4j.loss;

/** How a loss combines its terms: their mean (PyTorch's default) or their sum. */
public enum Reduction { MEAN, SUM }
