package io.github.recurrent4j.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A small deterministic parallel-for. The caller splits work into a fixed number of tasks; each
 * task covers a range fixed by its index, so which thread runs it never changes the result.
 * Kernels split output rows or columns, so threads never share writes, and choose split points
 * that do not change any element's arithmetic: results are bit-identical for every thread count.
 *
 * <p>Workers are daemon threads that spin for a while after a job before they park (500 µs, or the
 * system property {@code recurrent4j.spinMicros}), so that the many small products of a recurrent
 * time loop, and the jobs of a layer separated by short serial steps, do not pay a thread wake-up
 * each. The calling thread takes tasks too. A call made from inside a task runs sequentially.
 *
 * <p>The thread count defaults to the number of available processors, or to the system property
 * {@code recurrent4j.threads}.
 */
public final class Parallel {
  private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
  /**
   * How long a worker spins after a job. A woken worker comes 10-100 µs late on the shared machine
   * of BENCHMARKS.md, and the caller then runs its share too; with 50 µs the worker parked in the
   * serial steps of an attention layer (a bias copy, column sums), and a 2-thread W7 step took 6-8%
   * longer than with 500 µs (5 alternating runs, and 2 of CompareBenchmark --quick).
   */
  private static final long SPIN_NANOS = 1000 * Math.max(0, Long.getLong("recurrent4j.spinMicros", 500));
  private static final long STEAL_NANOS = 20_000;
  private static int threads = initialThreads();
  private static Pool pool;

  private Parallel() {}

  private static int initialThreads() {
    String property = System.getProperty("recurrent4j.threads");
    int available = Runtime.getRuntime().availableProcessors();
    if (property == null || property.isBlank()) {
      return available;
    }
    try {
      int n = Integer.parseInt(property.trim());
      return n >= 1 ? n : available;
    } catch (NumberFormatException e) {
      return available;
    }
  }

  /** The number of threads kernels may use. */
  public static synchronized int threads() {
    return threads;
  }

  /** Sets the number of threads kernels may use (1 = everything on the calling thread). */
  public static synchronized void setThreads(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("Parallel.setThreads: count must be >= 1, got " + count);
    }
    if (count != threads && pool != null) {
      pool.shutdown();
      pool = null;
    }
    threads = count;
  }

  /** The number of tasks a kernel should split into right now: 1 inside a task, else {@link #threads()}. */
  public static int tasksAvailable() {
    return INSIDE.get() ? 1 : threads();
  }

  private static synchronized Pool pool() {
    if (pool == null) {
      pool = new Pool(threads - 1);
    }
    return pool;
  }

  /**
   * Runs {@code body.accept(task)} for {@code task = 0 .. tasks-1} and returns when all are done.
   * The first exception thrown by a task is rethrown. While the workers serve one caller, other
   * callers run their tasks on their own thread.
   */
  public static void run(int tasks, IntConsumer body) {
    if (tasks <= 1 || INSIDE.get()) {
      for (int t = 0; t < tasks; t++) {
        body.accept(t);
      }
      return;
    }
    run(new Job(body, tasks, false));
  }

  /**
   * A parallel-for made once and run many times by {@link #run(Prepared)} without allocating: for
   * a loop too short to afford even that (a streaming step of a few microseconds).
   */
  public static final class Prepared {
    private final Job job;

    private Prepared(Job job) {
      this.job = job;
    }

    /** The number of tasks each run splits into. */
    public int tasks() {
      return job.tasks;
    }
  }

  /** Prepares {@code body} over {@code tasks} tasks for {@link #run(Prepared)}. */
  public static Prepared prepare(int tasks, IntConsumer body) {
    if (tasks < 1 || body == null) {
      throw new IllegalArgumentException("Parallel.prepare: needs tasks >= 1 and a body, got tasks=" + tasks
          + (body == null ? " and no body" : ""));
    }
    return new Prepared(new Job(body, tasks, true));
  }

  /**
   * As {@link #run(int, IntConsumer)} with a prepared body: allocates nothing. A prepared job must
   * not be run by two threads at once.
   */
  public static void run(Prepared prepared) {
    Job job = prepared.job;
    if (job.tasks <= 1 || INSIDE.get()) {
      for (int t = 0; t < job.tasks; t++) {
        job.body.accept(t);
      }
      return;
    }
    run(job);
  }

  private static void run(Job job) {
    Pool p = pool();
    if (p.lock.tryLock()) {
      try {
        p.execute(job);
      } finally {
        p.lock.unlock();
      }
    } else {
      // Another thread's job has the workers; splitting is fixed, so running inline gives the same result.
      INSIDE.set(Boolean.TRUE);
      try {
        for (int t = 0; t < job.tasks; t++) {
          job.body.accept(t);
        }
      } finally {
        INSIDE.set(Boolean.FALSE);
      }
    }
  }

  /** Runs one task index after another until none is left; records the first failure. */
  private static void drain(Job job) {
    INSIDE.set(Boolean.TRUE);
    try {
      int t;
      while ((t = job.next.getAndIncrement()) < job.tasks) {
        runTask(job, t);
      }
    } finally {
      INSIDE.set(Boolean.FALSE);
    }
  }

  /** Runs task {@code t} of {@code job}, recording the first failure, and counts it done. */
  private static void runTask(Job job, int t) {
    try {
      job.body.accept(t);
    } catch (Throwable e) {
      job.failure.compareAndSet(null, e);
    } finally {
      job.done.incrementAndGet();
    }
  }

  /**
   * One parallel-for. Reused by a {@link Prepared}: a worker still draining its previous run can
   * only take a task after {@link #open} has reset the counts, and then runs it for the new run,
   * which is correct since the body is the same.
   */
  private static final class Job {
    final IntConsumer body;
    final int tasks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    /**
     * Pinned (a prepared job): task 0 is the caller's and task i+1 worker i's, so every run finds
     * its data in the same core's cache; a task nobody claimed within {@link #STEAL_NANOS} is taken
     * by the caller. Null for a job whose tasks go to whoever comes first.
     */
    final AtomicIntegerArray claimed;

    Job(IntConsumer body, int tasks, boolean pinned) {
      this.body = body;
      this.tasks = tasks;
      this.claimed = pinned ? new AtomicIntegerArray(tasks) : null;
    }

    /** Resets the counts for a new run; the tasks open last. */
    void open() {
      done.set(0);
      failure.set(null);
      if (claimed != null) {
        for (int t = 0; t < tasks; t++) {
          claimed.set(t, 0);
        }
      }
      next.set(0);
    }

    /** Claims task t of a pinned job: true for the one thread that gets it. */
    boolean claim(int t) {
      return claimed.compareAndSet(t, 0, 1);
    }
  }

  /** Worker threads that spin briefly, then park, waiting for the next job. */
  private static final class Pool {
    final ReentrantLock lock = new ReentrantLock();
    private final Thread[] workers;
    private volatile Job job;
    private volatile long generation; // one more for every run, so a reused Job is seen as new
    private volatile boolean stopped;

    Pool(int size) {
      workers = new Thread[size];
      for (int i = 0; i < size; i++) {
        int index = i;
        Thread t = new Thread(() -> work(index), "recurrent4j-worker-" + i);
        t.setDaemon(true);
        workers[i] = t;
        t.start();
      }
    }

    void execute(Job current) {
      int tasks = current.tasks;
      current.open();
      job = current;
      generation++; // only the lock holder writes it
      for (Thread w : workers) {
        LockSupport.unpark(w);
      }
      if (current.claimed == null) {
        drain(current);
        while (current.done.get() < tasks) {
          Thread.onSpinWait();
        }
      } else {
        runPinned(current);
      }
      Throwable failure = current.failure.get();
      if (failure instanceof RuntimeException re) {
        throw re;
      }
      if (failure instanceof Error err) {
        throw err;
      }
      if (failure != null) {
        throw new IllegalStateException("Parallel.run: a task failed", failure);
      }
    }

    /** The caller's side of a pinned job: task 0, the tasks no worker owns, then any left unclaimed too long. */
    private void runPinned(Job current) {
      int tasks = current.tasks;
      INSIDE.set(Boolean.TRUE);
      try {
        for (int t = 0; t < tasks; t++) {
          if ((t == 0 || t > workers.length) && current.claim(t)) {
            runTask(current, t);
          }
        }
        long stealAt = System.nanoTime() + STEAL_NANOS;
        while (current.done.get() < tasks) {
          if (System.nanoTime() - stealAt > 0) {
            for (int t = 1; t < tasks; t++) {
              if (current.claim(t)) {
                runTask(current, t);
              }
            }
          }
          Thread.onSpinWait();
        }
      } finally {
        INSIDE.set(Boolean.FALSE);
      }
    }

    private void work(int index) {
      long seen = 0;
      while (!stopped) {
        long current = generation;
        if (current != seen) {
          seen = current;
          Job j = job; // written before the generation: this run's job, or a later one
          if (j.claimed == null) {
            drain(j);
          } else if (index + 1 < j.tasks && j.claim(index + 1)) {
            INSIDE.set(Boolean.TRUE);
            try {
              runTask(j, index + 1);
            } finally {
              INSIDE.set(Boolean.FALSE);
            }
          }
          continue;
        }
        long spinEnd = System.nanoTime() + SPIN_NANOS;
        while (generation == seen && !stopped && System.nanoTime() < spinEnd) {
          Thread.onSpinWait();
        }
        if (generation == seen && !stopped) {
          LockSupport.parkNanos(this, 1_000_000);
        }
      }
    }

    void shutdown() {
      stopped = true;
      for (Thread w : workers) {
        LockSupport.unpark(w);
      }
    }
  }
}
