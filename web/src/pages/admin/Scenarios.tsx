import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import {
  DealSchema,
  DispositionSchema,
  PersonaSchema,
  ScenarioService,
  type Scenario,
} from "@gen/avatar/scenario/v1/scenario_pb";
import { Alert, Badge, Button, Card, PageHeader, SelectField, Spinner, TextArea, TextField } from "../../components/ui";
import { codeOf, describeError } from "../../lib/errors";
import { techniqueLabels } from "../../lib/labels";
import { difficultyOf } from "../../lib/scenario";

export function Scenarios() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const list = useQuery(ScenarioService.method.listScenarios, { pageSize: 200 });
  const copy = useMutation(ScenarioService.method.createScenario, {
    onSuccess: (res) => {
      void qc.invalidateQueries();
      if (res.scenario) navigate(`/admin/scenarios/${encodeURIComponent(res.scenario.id)}`);
    },
  });
  const del = useMutation(ScenarioService.method.deleteScenario, { onSuccess: () => void qc.invalidateQueries() });
  return (
    <>
      <PageHeader title="Scenarios" />
      <p className="lead">Built-in scenarios are read-only: copy one to make it your dealership's, then edit the copy.</p>
      {copy.error && <Alert>{describeError(copy.error)}</Alert>}
      {del.error && <Alert>{describeError(del.error)}</Alert>}
      <Card>
        {list.isLoading && <Spinner label="Loading scenarios" />}
        {list.error && <Alert>{describeError(list.error)}</Alert>}
        {list.data && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Scenario</th>
                <th scope="col" className="hide-narrow">
                  Difficulty
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.scenarios.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    {s.builtIn ? s.title : <Link to={`/admin/scenarios/${encodeURIComponent(s.id)}`}>{s.title}</Link>}
                    <div>
                      <Badge>{s.builtIn ? "Built-in" : `Dealership · v${s.version}`}</Badge>
                    </div>
                  </th>
                  <td className="hide-narrow">{difficultyOf(s)}</td>
                  <td className="row">
                    <Button
                      variant="secondary"
                      aria-label={`Copy ${s.title}`}
                      busy={copy.isPending && copy.variables?.copyFromId === s.id}
                      onClick={() => copy.mutate({ copyFromId: s.id, scenario: { title: `${s.title} (copy)` } })}
                    >
                      Copy
                    </Button>
                    {!s.builtIn && (
                      <>
                        <Link className="btn btn-ghost" to={`/admin/scenarios/${encodeURIComponent(s.id)}`} aria-label={`Edit ${s.title}`}>
                          Edit
                        </Link>
                        <Button
                          variant="ghost"
                          aria-label={`Delete ${s.title}`}
                          onClick={() => window.confirm(`Delete “${s.title}”? Past sessions keep it.`) && del.mutate({ id: s.id })}
                        >
                          Delete
                        </Button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

const voices = ["slt", "rms", "awb", "kal"];

/** ScenarioEdit edits a dealership scenario's set-up; objections and rubric are shown as they are. */
export function ScenarioEdit() {
  const { id = "" } = useParams();
  const qc = useQueryClient();
  const q = useQuery(ScenarioService.method.getScenario, { id });
  const [draft, setDraft] = useState<Scenario | undefined>();
  useEffect(() => {
    if (q.data?.scenario) setDraft(q.data.scenario);
  }, [q.data]);
  const save = useMutation(ScenarioService.method.updateScenario, {
    onSuccess: (res) => {
      if (res.scenario) setDraft(res.scenario);
      void qc.invalidateQueries();
    },
  });
  if (q.isLoading || (!draft && !q.error)) return <Spinner label="Loading the scenario" />;
  if (q.error || !draft) return <Alert>{describeError(q.error)}</Alert>;
  const s = draft;
  const persona = s.persona ?? create(PersonaSchema);
  const deal = s.deal ?? create(DealSchema);
  const disp = s.disposition ?? create(DispositionSchema);
  const set = (patch: Partial<Scenario>) => setDraft({ ...s, ...patch });
  const num = (v: string) => (v === "" ? 0 : Number(v));

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate({ scenario: { ...s, openings: s.openings.map((o) => o.trim()).filter(Boolean) } });
  }

  return (
    <>
      <PageHeader title={`Edit: ${s.title}`}>
        <Link className="btn btn-secondary" to="/admin/scenarios">
          Back to scenarios
        </Link>
      </PageHeader>
      {s.builtIn && <Alert kind="info">Built-in scenarios are read-only; copy it to edit.</Alert>}
      <form onSubmit={submit}>
        <Card title="Story">
          <div className="form-grid">
            <TextField label="Title" required value={s.title} onChange={(e) => set({ title: e.target.value })} />
            <TextArea label="Description" rows={2} value={s.description} onChange={(e) => set({ description: e.target.value })} />
            <TextArea label="Goal" rows={2} value={s.goal} onChange={(e) => set({ goal: e.target.value })} />
            <TextArea
              label="Openings"
              rows={3}
              hint="One per line; the customer opens with one of them."
              value={s.openings.join("\n")}
              onChange={(e) => set({ openings: e.target.value.split("\n") })}
            />
          </div>
        </Card>
        <Card title="Customer">
          <div className="form-grid">
            <TextField label="Name" value={persona.name} onChange={(e) => set({ persona: { ...persona, name: e.target.value } })} />
            <TextField label="Temperament" value={persona.temperament} onChange={(e) => set({ persona: { ...persona, temperament: e.target.value } })} />
            <TextArea label="Background" rows={2} value={persona.background} onChange={(e) => set({ persona: { ...persona, background: e.target.value } })} />
            <SelectField
              label="Voice"
              value={persona.voice}
              onChange={(e) => set({ persona: { ...persona, voice: e.target.value } })}
              options={[{ value: "", label: "Edge default" }, ...voices.map((v) => ({ value: v, label: v }))]}
            />
          </div>
        </Card>
        <Card title="Deal">
          <div className="form-grid">
            <TextField label="Vehicle" value={deal.vehicle} onChange={(e) => set({ deal: { ...deal, vehicle: e.target.value } })} />
            <TextField label="Price ($)" type="number" min={0} step="0.01" value={deal.price} onChange={(e) => set({ deal: { ...deal, price: num(e.target.value) } })} />
            <TextField label="Monthly payment ($)" type="number" min={0} step="0.01" value={deal.monthlyPayment} onChange={(e) => set({ deal: { ...deal, monthlyPayment: num(e.target.value) } })} />
            <TextField label="Term (months)" type="number" min={0} value={deal.termMonths} onChange={(e) => set({ deal: { ...deal, termMonths: num(e.target.value) } })} />
            <TextField label="APR (%)" type="number" min={0} step="0.01" value={deal.apr} onChange={(e) => set({ deal: { ...deal, apr: num(e.target.value) } })} />
            <TextField label="Lender" value={deal.lender} onChange={(e) => set({ deal: { ...deal, lender: e.target.value } })} />
          </div>
          <h3>Menu</h3>
          {deal.products.map((p, i) => (
            <fieldset key={p.id || i} className="product">
              <legend>{p.name || `Product ${i + 1}`}</legend>
              <div className="form-grid">
                <TextField
                  label="Product name"
                  value={p.name}
                  onChange={(e) => set({ deal: { ...deal, products: deal.products.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) } })}
                />
                <TextField
                  label="Product price ($)"
                  type="number"
                  min={0}
                  step="0.01"
                  value={p.price}
                  onChange={(e) => set({ deal: { ...deal, products: deal.products.map((x, j) => (j === i ? { ...x, price: num(e.target.value) } : x)) } })}
                />
                <TextField
                  label="Adds per month ($)"
                  type="number"
                  min={0}
                  step="0.01"
                  value={p.monthly}
                  onChange={(e) => set({ deal: { ...deal, products: deal.products.map((x, j) => (j === i ? { ...x, monthly: num(e.target.value) } : x)) } })}
                />
                <TextArea
                  label="Value to this customer"
                  rows={2}
                  value={p.value}
                  onChange={(e) => set({ deal: { ...deal, products: deal.products.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)) } })}
                />
              </div>
            </fieldset>
          ))}
        </Card>
        <Card title="How the customer moves">
          <div className="form-grid">
            <TextField label="Starting warmth (0–100)" type="number" min={0} max={100} value={disp.startWarmth} onChange={(e) => set({ disposition: { ...disp, startWarmth: num(e.target.value) } })} hint="0 uses the default, 40." />
            <TextField label="Buys at warmth" type="number" min={0} max={100} value={disp.buyAt} onChange={(e) => set({ disposition: { ...disp, buyAt: num(e.target.value) } })} hint="0 uses the default, 60." />
            <TextField label="Walks at warmth" type="number" min={0} max={100} value={disp.walkAt} onChange={(e) => set({ disposition: { ...disp, walkAt: num(e.target.value) } })} hint="0 uses the default, 10." />
            <TextField label="Turns before deciding" type="number" min={0} value={disp.maxTurns} onChange={(e) => set({ disposition: { ...disp, maxTurns: num(e.target.value) } })} hint="0 uses the default, 16." />
          </div>
          <h3>Objections</h3>
          <ul>
            {s.objections.map((o, i) => (
              <li key={i}>{o}</li>
            ))}
          </ul>
          <h3>Rubric</h3>
          <ul>
            {s.rubric.map((r, i) => (
              <li key={i}>
                {r.criterion} ({techniqueLabels[r.technique]}, weight {r.weight})
              </li>
            ))}
          </ul>
        </Card>
        {save.error && (
          <Alert>
            {codeOf(save.error) === Code.Aborted
              ? "Someone saved this scenario since you opened it. Reload to see their version, then edit again."
              : describeError(save.error)}
          </Alert>
        )}
        {save.isSuccess && <Alert kind="success">Saved as version {s.version}.</Alert>}
        <div className="form-actions sticky-actions">
          <Button type="submit" busy={save.isPending} disabled={s.builtIn}>
            Save scenario
          </Button>
          <Button variant="secondary" onClick={() => q.data?.scenario && setDraft(q.data.scenario)}>
            Discard changes
          </Button>
        </div>
      </form>
    </>
  );
}
