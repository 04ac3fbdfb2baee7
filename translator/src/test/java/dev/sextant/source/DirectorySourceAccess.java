package dev.sextant.source;

import java.util.List;

/** Test access to the directory source's document splitting, so golden inputs parse as config files do. */
public final class DirectorySourceAccess {
  private DirectorySourceAccess() {}

  public static List<String> splitDocuments(String text) {
    return DirectorySource.splitDocuments(text);
  }
}
