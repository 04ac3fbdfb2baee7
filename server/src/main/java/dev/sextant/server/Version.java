package dev.sextant.server;

/** The build's version, as {@code /version}, {@code istio_build} and {@code pilot_info} report it. */
public final class Version {
  /** The Maven version of the server jar, or {@code 0.1.0-dev} when run from classes. */
  public static final String TAG = tag();

  private Version() {}

  private static String tag() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }

  /** istiod's {@code /version} text: {@code <version>-<gitRevision>-<buildStatus>}. */
  public static String text() {
    return TAG + "-sextant-Clean";
  }
}
