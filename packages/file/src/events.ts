/** What the `corrupt` event reports. */
export interface CorruptRecordEvent {
  /**
   * The session id of the unreadable record. It reads as missing from now on.
   * With `SessionManager`, ids are hashes of the tokens, not the tokens.
   */
  readonly id: string;
  /** What was wrong with the file, e.g. "the file is not valid JSON". Holds no session data. */
  readonly reason: string;
  /** Where the file was moved (inside the store's `corrupt/` directory), for inspection. */
  readonly movedTo: string | undefined;
}

/** The events a `FileStore` emits. It never emits `error`. */
export interface FileStoreEvents {
  /** An unreadable record file was moved aside. */
  corrupt: [event: CorruptRecordEvent];
}
