package dev.sextant.bench;

import dev.sextant.model.WorkloadInfo;
import dev.sextant.xds.AddressGenerator;
import dev.sextant.xds.XdsResource;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Address serialization: (1) {@code AddressGenerator.workloadResource}, what every workload change
 * costs once (wrap in an {@code Address}, deterministic serialization, xxHash64 version,
 * {@code Resource} envelope, alias and related keys); (2) assembling and serializing one
 * {@code DeltaDiscoveryResponse} of 1,000 such cached resources, what each stream pays per send
 * (performance-anchors.md §4: ~8M cached resources/s).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AddressSerializationBench {
  private List<WorkloadInfo> workloads;
  private List<Resource> cached;
  private int next;
  private long nonce;

  @Setup(Level.Trial)
  public void setup() {
    try (BenchGraph graph = new BenchGraph(2000, 200, 20, 50, 100)) {
      workloads = graph.ambient.workloads().list();
    }
    cached = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      cached.add(workload(workloads.get(i % workloads.size())).resource());
    }
  }

  private static XdsResource workload(WorkloadInfo w) {
    return AddressSerializationBenchAccess.workloadResource(w);
  }

  @Benchmark
  public XdsResource workloadResource() {
    return workload(workloads.get(next++ % workloads.size()));
  }

  @Benchmark
  public byte[] deltaResponseOf1000Cached() {
    return DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(AddressGenerator.typeUrl())
        .setSystemVersionInfo("42")
        .setNonce("ztunnel-node-1.istio-system-1/" + ++nonce)
        .addAllResources(cached)
        .build()
        .toByteArray();
  }
}
