package dev.sextant.bench;

import dev.sextant.ambient.Policies;
import dev.sextant.krt.Context;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-workload policy lookup ({@link Policies#forWorkload}): which AuthorizationPolicies and
 * PeerAuthentications a workload lists, as the workload builder asks for every pod. The anchor is
 * istio#61254: 1.38 ms per workload at 10,000 policies without an index; goal ≤ 5 µs at 2,000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PolicyLookupBench {
  @Param({"10", "2000", "10000"})
  int policies;

  private BenchGraph graph;
  private Policies lookup;
  private List<String> namespaces;
  private List<Map<String, String>> labels;
  private int next;

  @Setup(Level.Trial)
  public void setup() {
    graph = new BenchGraph(10_000, 1_000, 100, 100, policies);
    lookup = graph.ambient.policies();
    // the labels and namespace of each pod, as the workload builder has them at hand
    namespaces = graph.model.livePods().stream().map(p -> graph.model.namespaceOf(p.service())).toList();
    labels = graph.model.livePods().stream().map(S3PolicyStorm::labels).toList();
  }

  @TearDown(Level.Trial)
  public void close() {
    graph.close();
  }

  @Benchmark
  public List<String> forWorkload() {
    int i = next++ % labels.size();
    return lookup.forWorkload(Context.untracked(), namespaces.get(i), labels.get(i));
  }
}
