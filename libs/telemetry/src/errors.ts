/** Base class of the errors this library throws. */
export class TelemetryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The admin server could not listen (port taken, bad host). */
export class AdminServerError extends TelemetryError {}
