package dev.sextant.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sextant.api.security.Action;
import dev.sextant.api.security.Address;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.Group;
import dev.sextant.api.security.Match;
import dev.sextant.api.security.Rules;
import dev.sextant.api.security.Scope;
import dev.sextant.api.security.StringMatch;
import dev.sextant.convert.AuthorizationEvaluator.Connection;
import dev.sextant.convert.AuthorizationEvaluator.Identity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ztunnel's evaluation rules (wds-spec §4.2), case by case. */
class AuthorizationEvaluatorTest {
  static final byte[] SRC = {10, 0, 0, 1};
  static final byte[] DST = {10, 0, 0, 2};
  static final Identity REVIEWS = new Identity("cluster.local", "bookinfo", "reviews");

  static Connection from(Identity id, int port) {
    return new Connection(id, SRC, DST, port);
  }

  static Authorization policy(String name, Action action, Group... groups) {
    return Authorization.newBuilder().setName(name).setNamespace("bookinfo").setScope(Scope.WORKLOAD_SELECTOR)
        .setAction(action).addAllGroups(List.of(groups)).build();
  }

  static Group group(Match... matches) {
    Rules.Builder r = Rules.newBuilder();
    for (Match m : matches) {
      r.addMatches(m);
    }
    return Group.newBuilder().addRules(r).build();
  }

  @Test
  void staticStrict_deniesPlainTextAndAllowsMtls() {
    Authorization strict = PeerAuthenticationConverter.staticStrict("istio-system");
    assertFalse(AuthorizationEvaluator.evaluate(List.of(strict), from(null, 80)).allowed());
    assertTrue(AuthorizationEvaluator.evaluate(List.of(strict), from(REVIEWS, 80)).allowed());
  }

  @Test
  void allowPrincipal_matchesWithoutSpiffePrefix_andOthersAreDenied() {
    Authorization allow = policy("ratings", Action.ALLOW, group(Match.newBuilder()
        .addPrincipals(StringMatch.newBuilder().setExact("cluster.local/ns/bookinfo/sa/reviews")).build()));
    var d = AuthorizationEvaluator.evaluate(List.of(allow), from(REVIEWS, 9080));
    assertTrue(d.allowed());
    assertEquals("bookinfo/ratings", d.decidingPolicy());
    assertFalse(AuthorizationEvaluator.evaluate(List.of(allow),
        from(new Identity("cluster.local", "bookinfo", "productpage"), 9080)).allowed());
    assertFalse(AuthorizationEvaluator.evaluate(List.of(allow), from(null, 9080)).allowed());
  }

  @Test
  void emptyGroupDenyDeniesEverything_emptyMatchNeverMatches_zeroGroupsAllowNothing() {
    assertFalse(AuthorizationEvaluator.evaluate(List.of(policy("d", Action.DENY, Group.getDefaultInstance())),
        from(REVIEWS, 1)).allowed());
    assertTrue(AuthorizationEvaluator.evaluate(List.of(policy("d", Action.DENY, group(Match.getDefaultInstance()))),
        from(REVIEWS, 1)).allowed(), "a group whose clause holds only {} never fires");
    assertFalse(AuthorizationEvaluator.evaluate(List.of(policy("a", Action.ALLOW)), from(REVIEWS, 1)).allowed(),
        "an ALLOW policy with no groups allows nothing");
  }

  @Test
  void ports_cidrs_and_dryRun() {
    Authorization denyPort = policy("p", Action.DENY, group(Match.newBuilder().addDestinationPorts(22).build()));
    assertFalse(AuthorizationEvaluator.evaluate(List.of(denyPort), from(REVIEWS, 22)).allowed());
    assertTrue(AuthorizationEvaluator.evaluate(List.of(denyPort), from(REVIEWS, 80)).allowed());
    Authorization cidr = policy("c", Action.ALLOW, group(Match.newBuilder().addSourceIps(Address.newBuilder()
        .setAddress(ByteString.copyFrom(new byte[] {10, 0, 0, 0})).setLength(24)).build()));
    assertTrue(AuthorizationEvaluator.evaluate(List.of(cidr), from(null, 80)).allowed());
    Authorization dryDeny = denyPort.toBuilder().setDryRun(true).build();
    assertTrue(AuthorizationEvaluator.evaluate(List.of(dryDeny), from(REVIEWS, 22)).allowed(), "dry run only logs");
  }

  @Test
  void applicable_globalNamespaceAndListedSelectorPolicies() {
    Authorization global = Authorization.newBuilder().setName("g").setNamespace("istio-system").build();
    Authorization here = Authorization.newBuilder().setName("n").setNamespace("bookinfo").setScope(Scope.NAMESPACE).build();
    Authorization elsewhere = here.toBuilder().setNamespace("other").build();
    Authorization listed = policy("listed", Action.ALLOW);
    Authorization unlisted = policy("unlisted", Action.ALLOW);
    assertEquals(List.of(global, here, listed), AuthorizationEvaluator.applicable(
        List.of(global, here, elsewhere, listed, unlisted), "bookinfo", List.of("bookinfo/listed")));
  }
}
