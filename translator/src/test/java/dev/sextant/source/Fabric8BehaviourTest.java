package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What fabric8 7.5.2 does with unreadable custom resources: the facts behind
 * {@link KubernetesSource} informing custom resources generically and reading each one with
 * {@link CustomResourceReader}. If a fabric8 upgrade changes them, these tests say so.
 */
@EnableKubernetesMockClient(crud = true)
class Fabric8BehaviourTest {
  KubernetesClient client;

  @Test
  void typedInformer_oneObjectWithWrongFieldType_failsTheWholeListAndStops() throws Exception {
    client.apiextensions().v1().customResourceDefinitions()
        .resource(KubeObjects.crd(PeerAuthentication.class, true)).create();
    client.resource(KubeObjects.peerAuthentication("default", "good", Map.of())).create();
    client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(PeerAuthentication.class))
        .inNamespace("default")
        .resource(KubeObjects.rawPeerAuthentication("default", "bad", KubeObjects.WRONG_TYPE)).create();

    SharedIndexInformer<PeerAuthentication> typed =
        client.resources(PeerAuthentication.class).inAnyNamespace().runnableInformer(0);
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> typed.start().toCompletableFuture().get(15, TimeUnit.SECONDS));
    assertTrue(ExceptionHandler.isDeserializationException(failed.getCause()), failed.getCause().toString());
    assertEquals(0, typed.getStore().list().size(), "the good object is lost with the bad one");
    typed.close();

    SharedIndexInformer<GenericKubernetesResource> generic = client
        .genericKubernetesResources(ResourceDefinitionContext.fromResourceType(PeerAuthentication.class))
        .inAnyNamespace().runnableInformer(0);
    generic.start().toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals(2, generic.getStore().list().size(), "read generically, both objects arrive");
    generic.close();
  }

  @Test
  void fabric8Serialization_unknownEnumValue_isSilentlyNull() {
    GenericKubernetesResource bad = KubeObjects.rawPeerAuthentication("default", "bad", KubeObjects.UNKNOWN_ENUM);
    PeerAuthentication read = client.getKubernetesSerialization().convertValue(bad, PeerAuthentication.class);
    assertNull(read.getSpec().getMtls().getMode());
  }
}
