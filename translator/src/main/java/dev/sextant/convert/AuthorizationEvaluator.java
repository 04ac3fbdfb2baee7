package dev.sextant.convert;

import com.google.protobuf.ByteString;
import dev.sextant.api.security.Action;
import dev.sextant.api.security.Address;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.Group;
import dev.sextant.api.security.Match;
import dev.sextant.api.security.Rules;
import dev.sextant.api.security.ServiceAccountMatch;
import dev.sextant.api.security.StringMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The L4 decision a ztunnel makes for one connection under a set of policies (istio/ztunnel
 * {@code src/rbac.rs} {@code Authorization::matches}, {@code src/state.rs} {@code assert_rbac};
 * wds-spec §4.2), for what-if debugging. A pure function.
 *
 * <p>Policies that apply to a destination: GLOBAL ones, NAMESPACE ones of its namespace, and those
 * its workload lists. Combination: a matching non-dry-run DENY denies; otherwise, with no
 * non-dry-run ALLOW the connection is allowed; otherwise a matching ALLOW allows and nothing else
 * does.
 */
public final class AuthorizationEvaluator {
  private AuthorizationEvaluator() {}

  /** A SPIFFE identity {@code spiffe://<td>/ns/<ns>/sa/<sa>}. */
  public record Identity(String trustDomain, String namespace, String serviceAccount) {
    public String spiffe() {
      return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }
  }

  /** One connection: peer identity (null for plain text), addresses and destination port. */
  public record Connection(Identity source, byte[] sourceIp, byte[] destinationIp, int destinationPort) {}

  /** How one policy fared: the index of its first matching group, or -1. */
  public record PolicyResult(String policy, Action action, boolean dryRun, int matchedGroup) {}

  /** The decision, the policy that decided it (null when no policy did), and every policy's result. */
  public record Decision(boolean allowed, String reason, String decidingPolicy, List<PolicyResult> evaluated) {}

  /** The policies a connection to a workload in {@code namespace} listing {@code workloadPolicies} is checked against. */
  public static List<Authorization> applicable(List<Authorization> all, String namespace, List<String> workloadPolicies) {
    List<Authorization> out = new ArrayList<>();
    for (Authorization p : all) {
      boolean applies = switch (p.getScope()) {
        case GLOBAL -> true;
        case NAMESPACE -> p.getNamespace().equals(namespace);
        case WORKLOAD_SELECTOR -> workloadPolicies.contains(p.getNamespace() + "/" + p.getName());
        default -> false;
      };
      if (applies) {
        out.add(p);
      }
    }
    return out;
  }

  public static Decision evaluate(List<Authorization> policies, Connection c) {
    List<PolicyResult> results = new ArrayList<>();
    for (Authorization p : policies) {
      results.add(new PolicyResult(p.getNamespace() + "/" + p.getName(), p.getAction(), p.getDryRun(),
          matchingGroup(p, c)));
    }
    for (PolicyResult r : results) {
      if (!r.dryRun() && r.action() == Action.DENY && r.matchedGroup() >= 0) {
        return new Decision(false, "denied by a matching DENY policy", r.policy(), results);
      }
    }
    boolean anyAllow = results.stream().anyMatch(r -> !r.dryRun() && r.action() == Action.ALLOW);
    if (!anyAllow) {
      return new Decision(true, "no ALLOW policy applies", null, results);
    }
    for (PolicyResult r : results) {
      if (!r.dryRun() && r.action() == Action.ALLOW && r.matchedGroup() >= 0) {
        return new Decision(true, "allowed by a matching ALLOW policy", r.policy(), results);
      }
    }
    return new Decision(false, "ALLOW policies apply and none matches", null, results);
  }

  /** The first group that matches, or -1; a policy with no groups matches nothing. */
  static int matchingGroup(Authorization p, Connection c) {
    for (int i = 0; i < p.getGroupsCount(); i++) {
      if (groupMatches(p.getGroups(i), c)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean groupMatches(Group g, Connection c) {
    for (Rules clause : g.getRulesList()) {
      if (clause.getMatchesCount() == 0) {
        continue; // an empty clause counts as matched
      }
      boolean any = false;
      for (Match m : clause.getMatchesList()) {
        if (m.equals(Match.getDefaultInstance())) {
          continue; // an empty match is skipped: it never matches
        }
        if (matches(m, c)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    return true;
  }

  private static boolean matches(Match m, Connection c) {
    String principal = c.source() == null ? "" : c.source().spiffe();
    String namespace = c.source() == null ? "" : c.source().namespace();
    return both(m.getDestinationIpsList(), m.getNotDestinationIpsList(), a -> contains(a, c.destinationIp()))
        && both(m.getSourceIpsList(), m.getNotSourceIpsList(), a -> contains(a, c.sourceIp()))
        && both(m.getDestinationPortsList(), m.getNotDestinationPortsList(), p -> p == c.destinationPort())
        && both(m.getServiceAccountsList(), m.getNotServiceAccountsList(), sa -> serviceAccount(sa, c.source()))
        && both(m.getPrincipalsList(), m.getNotPrincipalsList(), s -> principal(s, principal))
        && both(m.getNamespacesList(), m.getNotNamespacesList(), s -> string(s, namespace));
  }

  private static <T> boolean both(List<T> positive, List<T> negative, Predicate<T> p) {
    boolean pm = positive.isEmpty() || positive.stream().anyMatch(p);
    boolean nm = negative.isEmpty() || negative.stream().noneMatch(p);
    return pm && nm;
  }

  private static boolean serviceAccount(ServiceAccountMatch sa, Identity id) {
    return id != null && sa.getNamespace().equals(id.namespace()) && sa.getServiceAccount().equals(id.serviceAccount());
  }

  /** Principals are compared without {@code spiffe://}; no identity matches no principal. */
  private static boolean principal(StringMatch s, String spiffe) {
    if (!spiffe.startsWith("spiffe://")) {
      return false;
    }
    return string(s, spiffe.substring("spiffe://".length()));
  }

  private static boolean string(StringMatch s, String v) {
    return switch (s.getMatchTypeCase()) {
      case EXACT -> s.getExact().equals(v);
      case PREFIX -> v.startsWith(s.getPrefix());
      case SUFFIX -> v.endsWith(s.getSuffix());
      case PRESENCE -> !v.isEmpty();
      default -> false;
    };
  }

  private static boolean contains(Address cidr, byte[] ip) {
    ByteString net = cidr.getAddress();
    if (ip == null || net.size() != ip.length) {
      return false;
    }
    int bits = cidr.getLength();
    for (int i = 0; i < ip.length && bits > 0; i++, bits -= 8) {
      int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
      if ((net.byteAt(i) & mask) != (ip[i] & mask)) {
        return false;
      }
    }
    return true;
  }
}
