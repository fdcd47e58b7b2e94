import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { LoginResponseSchema, type LoginRequest } from "@gen/avatar/auth/v1/auth_pb";
import { ErrorDetailSchema } from "@gen/avatar/errors/v1/errors_pb";
import { ServicesProvider } from "../app/context";
import { createServices } from "../app/services";
import { Session, type AuthApi } from "../lib/session";
import { SignIn } from "./SignIn";

function totpRequired(): ConnectError {
  return new ConnectError("two-factor code required", Code.Unauthenticated, undefined, [
    { desc: ErrorDetailSchema, value: { reason: "TOTP_REQUIRED" } },
  ]);
}

function setup(login: AuthApi["login"]) {
  const services = createServices({ coreUrl: "http://core.invalid", fallbackEdgeUrl: "http://edge.invalid" }, undefined);
  services.session.close();
  const api: AuthApi = { login, refresh: async () => Promise.reject(new Error("unused")), logout: async () => ({}) };
  services.session = new Session(api, undefined);
  render(
    <ServicesProvider services={services}>
      <MemoryRouter initialEntries={["/signin?next=/coach"]}>
        <Routes>
          <Route path="/signin" element={<SignIn />} />
          <Route path="/coach" element={<p>coach page</p>} />
        </Routes>
      </MemoryRouter>
    </ServicesProvider>,
  );
  return services;
}

describe("SignIn", () => {
  it("signs in with labelled fields and goes where the user was headed", async () => {
    const seen: Partial<LoginRequest>[] = [];
    const services = setup(async (req) => {
      seen.push(req as Partial<LoginRequest>);
      return create(LoginResponseSchema, { accessToken: "a", refreshToken: "r", expiresIn: 900n });
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "trainee@demo-motors.test");
    await user.type(screen.getByLabelText("Password"), "secret-password");
    await user.keyboard("{Enter}");
    expect(await screen.findByText("coach page")).toBeTruthy();
    expect(seen[0]).toMatchObject({ email: "trainee@demo-motors.test", password: "secret-password" });
    services.session.close();
  });

  it("asks for the TOTP code when the account has two-factor", async () => {
    const seen: Partial<LoginRequest>[] = [];
    const services = setup(async (req) => {
      seen.push(req as Partial<LoginRequest>);
      if (!req.totpCode) throw totpRequired();
      if (req.totpCode !== "123456") throw new ConnectError("invalid two-factor code", Code.Unauthenticated, undefined, [
        { desc: ErrorDetailSchema, value: { reason: "UNAUTHENTICATED" } },
      ]);
      return create(LoginResponseSchema, { accessToken: "a", refreshToken: "r", expiresIn: 900n });
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "admin@x.test");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText("Authentication code");
    expect(document.activeElement).toBe(code);
    await user.type(code, "000000");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/not right/);
    await user.clear(code);
    await user.type(code, "123456{Enter}");
    expect(await screen.findByText("coach page")).toBeTruthy();
    expect(seen.map((r) => r.totpCode)).toEqual(["", "000000", "123456"]);
    services.session.close();
  });

  it("shows the server's message for a wrong password", async () => {
    const services = setup(async () => {
      throw new ConnectError("invalid email or password", Code.Unauthenticated);
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "x@x.test");
    await user.type(screen.getByLabelText("Password"), "nope{Enter}");
    expect((await screen.findByRole("alert")).textContent).toContain("invalid email or password");
    services.session.close();
  });
});
