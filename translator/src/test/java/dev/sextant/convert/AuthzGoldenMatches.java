package dev.sextant.convert;

import com.google.protobuf.Empty;
import dev.sextant.api.security.Match;
import dev.sextant.api.security.StringMatch;

/** Matches that recur in policy tests. */
final class AuthzGoldenMatches {
  private AuthzGoldenMatches() {}

  /** {not_principals: [presence]}: a connection without a peer identity. */
  static Match noPrincipal() {
    return Match.newBuilder()
        .addNotPrincipals(StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()))
        .build();
  }
}
