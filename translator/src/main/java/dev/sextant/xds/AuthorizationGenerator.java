package dev.sextant.xds;

import dev.sextant.api.TypeUrls;
import dev.sextant.api.security.Authorization;
import dev.sextant.krt.Collection;
import dev.sextant.krt.Krt;
import java.util.List;

/**
 * Owns {@code type.googleapis.com/istio.security.Authorization}: each policy named
 * {@code namespace/name}, sent without a version, as istiod does.
 */
public final class AuthorizationGenerator {
  private AuthorizationGenerator() {}

  public static String typeUrl() {
    return TypeUrls.AUTHORIZATION;
  }

  public static Collection<XdsResource> collection(Krt krt, Collection<Authorization> policies) {
    return krt.flatMap(policies, "AuthorizationResources", (ctx, p) -> List.of(resource(p)), XdsResource::name);
  }

  static XdsResource resource(Authorization p) {
    XdsResource r = XdsResource.of(TypeUrls.AUTHORIZATION, p.getNamespace() + "/" + p.getName(), p,
        List.of(), List.of(), Scope.global());
    // istiod sends Authorization resources with no version; ztunnel then reports "" for each.
    return new XdsResource(r.typeUrl(), r.name(), r.resource().toBuilder().clearVersion().build(),
        r.aliases(), r.related(), r.scope());
  }
}
