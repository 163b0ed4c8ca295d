// What the file source tells the rest of the analyzer about the files it follows, handed in once by
// the wiring (self metrics, warnings, the `file` series). The data itself goes to the chunk sink.

export interface FileEvents {
  /** A path follows a file for the first time (an alias of another path's file never does). */
  follow(file: string): void;
  /** A path whose file has been gone for forgetAfterMs is dropped, with the series it labelled. */
  forget(file: string): void;
  /** A new file took the path's place, or a generation that came and went between checks was found. */
  rotation(file: string): void;
  /** The file shrank below the offset or its first bytes changed: reading restarts at 0. */
  truncation(file: string): void;
  /** Bytes read from the path's files. */
  read(file: string, bytes: number): void;
  /** A file could not be opened or read (permissions, I/O errors); the next check tries again. */
  error(file: string, error: unknown): void;
  /** A directory could not be watched or listed. */
  watchError(path: string, error: unknown): void;
  /** A pattern's base directory does not exist (yet): it is walked as soon as it appears. */
  waiting(base: string): void;
  /** A file matched but --max-files were followed already. */
  refused(file: string): void;
}
