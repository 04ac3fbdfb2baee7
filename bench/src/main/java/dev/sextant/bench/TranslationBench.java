package dev.sextant.bench;

import dev.sextant.ambient.PodWorkloadBuilder;
import dev.sextant.ambient.WaypointResolver;
import dev.sextant.ambient.WorkloadLookups;
import dev.sextant.api.workload.Locality;
import dev.sextant.krt.Context;
import dev.sextant.krt.Index;
import dev.sextant.krt.StaticCollection;
import dev.sextant.model.NetworkGateway;
import dev.sextant.model.NodeLocality;
import dev.sextant.model.WorkloadInfo;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
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
 * Workload translation: {@link PodWorkloadBuilder#apply} for one pod, the pure function the
 * PodWorkloads collection runs per pod event, over a loaded graph (services by selector,
 * EndpointSlices by pod, policies, waypoints, node localities). Called with an untracked context,
 * so it excludes krt's dependency recording.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TranslationBench {
  @Param({"10000"})
  int pods;

  @Param({"100", "2000"})
  int policies;

  private BenchGraph graph;
  private PodWorkloadBuilder builder;
  private List<Pod> podObjects;
  private int next;

  @Setup(Level.Trial)
  public void setup() {
    graph = new BenchGraph(pods, pods / 10, pods / 100, 100, policies);
    StaticCollection<NodeLocality> nodes = graph.krt.input("bench/NodeLocalities", NodeLocality::key);
    for (int i = 0; i < 100; i++) {
      nodes.upsert(new NodeLocality(ClusterModel.nodeName(i),
          Locality.newBuilder().setRegion("region-1").setZone("zone-" + i % 3).build()));
    }
    Index<String, EndpointSlice> slicesByPodRef =
        Index.of(graph.inputs.endpointSlices(), "bench/endpointSlicesByPodRef", PodWorkloadBuilder::podRefs);
    Index<String, NetworkGateway> gateways = Index.of(
        graph.krt.<NetworkGateway>input("bench/NetworkGateways", NetworkGateway::key), "bench/gatewaysByNetwork",
        g -> List.of(g.network()));
    // The same lookups Ambient.build hands the PodWorkloads collection.
    WorkloadLookups lookups = new WorkloadLookups(graph.mesh, graph.ambient.network(), nodes, graph.ambient.services(),
        graph.ambient.servicesBySelectorAnchor(), slicesByPodRef,
        new WaypointResolver(graph.ambient.waypoints(), graph.inputs.namespaces()), graph.ambient.policies(), gateways);
    builder = new PodWorkloadBuilder(lookups);
    podObjects = graph.inputs.pods().list();
  }

  @TearDown(Level.Trial)
  public void close() {
    graph.close();
  }

  @Benchmark
  public WorkloadInfo translatePod() {
    Pod p = podObjects.get(next++ % podObjects.size());
    return builder.apply(Context.untracked(), p);
  }
}
