// What the global setup hands the browser tests.
export interface E2EEnv {
  /** coreUrl serves the embedded web app and the APIs. */
  coreUrl: string;
  edgeUrl: string;
  password: string;
  admin: string;
  trainee: string;
  /** totpUser is a trainee the TOTP test enrols. */
  totpUser: string;
  /** wav is the fake microphone's input: a speech clip padded with silence. */
  wav: string;
  artifacts: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EEnv;
  }
}
