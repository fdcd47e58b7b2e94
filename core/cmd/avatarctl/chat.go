package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

func (c *client) scenarios() scenariov1connect.ScenarioServiceClient {
	return scenariov1connect.NewScenarioServiceClient(c.http, c.url)
}

type chatOptions struct {
	edge, mode, scenario string
}

// chat holds a text session on an edge: it prints the other party's
// opening, sends each line of in as a turn and prints the reply as it
// streams, with the techniques the engine heard; "/end" or the end of in
// ends the session and prints the scorecard.
func (c *client) chat(ctx context.Context, o chatOptions, in io.Reader, out io.Writer) error {
	req := &conversationv1.StartSessionRequest{}
	who := "coach"
	switch o.mode {
	case "coach", "training":
		req.Mode = conversationv1.Mode_MODE_TRAINING
	case "role-play", "roleplay":
		req.Mode = conversationv1.Mode_MODE_ROLE_PLAY
		sc, err := c.findScenario(ctx, o.scenario)
		if err != nil {
			return err
		}
		req.ScenarioId = sc.GetId()
		who = sc.GetPersona().GetName()
		fmt.Fprintf(out, "# %s (version %d)\n# %s\n", sc.GetTitle(), sc.GetVersion(), sc.GetDescription())
	default:
		return fmt.Errorf("%w: -mode must be role-play or coach", errUsage)
	}
	conv := conversationv1connect.NewConversationServiceClient(c.http, o.edge)
	start, err := conv.StartSession(ctx, authed(c, req))
	if err != nil {
		return fmt.Errorf("start session on %s: %w", o.edge, connectErr(err))
	}
	sid := start.Msg.GetSessionId()
	if op := start.Msg.GetOpening(); op != "" {
		fmt.Fprintf(out, "%s: %s\n", who, op)
	}
	fmt.Fprintln(out, "# type a line and press enter; /end to finish")
	sc := bufio.NewScanner(in)
	for {
		fmt.Fprint(out, "> ")
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line == "/end" {
			break
		}
		stream, err := conv.SendMessage(ctx, authed(c, &conversationv1.SendMessageRequest{SessionId: sid, Text: line}))
		if err != nil {
			return fmt.Errorf("send: %w", connectErr(err))
		}
		fmt.Fprintf(out, "%s: ", who)
		for stream.Receive() {
			m := stream.Msg()
			if d := m.GetDelta(); d != "" {
				fmt.Fprint(out, d)
			}
			for _, ci := range m.GetCitations() {
				fmt.Fprintf(out, "\n  [source: %s%s]", ci.GetTitle(), where(ci))
			}
			if m.GetDone() {
				fmt.Fprintln(out)
				if len(m.GetTechniques()) > 0 {
					names := make([]string, len(m.GetTechniques()))
					for i, x := range m.GetTechniques() {
						names[i] = strings.ToLower(strings.TrimPrefix(x.String(), "TECHNIQUE_"))
					}
					fmt.Fprintf(out, "  (heard: %s)\n", strings.Join(names, ", "))
				}
				if oc := m.GetOutcome(); oc != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
					fmt.Fprintf(out, "  (outcome: %s)\n", strings.ToLower(strings.TrimPrefix(oc.String(), "OUTCOME_")))
				}
			}
		}
		if err := stream.Err(); err != nil {
			fmt.Fprintln(out)
			return fmt.Errorf("reply: %w", connectErr(err))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	end, err := conv.EndSession(ctx, authed(c, &conversationv1.EndSessionRequest{SessionId: sid}))
	if err != nil {
		return fmt.Errorf("end session: %w", connectErr(err))
	}
	card := end.Msg.GetScorecard()
	if card == nil {
		fmt.Fprintf(out, "# session ended after %d turns\n", end.Msg.GetTurnCount())
		return nil
	}
	fmt.Fprintf(out, "\n# scorecard: %.0f/100 — %s\n", card.GetOverallScore(), card.GetSummary())
	for _, it := range card.GetItems() {
		fmt.Fprintf(out, "  %-36s %4.1f / %-4.1f %s\n", it.GetCriterion(), it.GetScore(), it.GetMaxScore(), it.GetComment())
	}
	return nil
}

func where(ci *conversationv1.Citation) string {
	var parts []string
	if ci.Section != nil && ci.GetSection() != "" {
		parts = append(parts, ci.GetSection())
	}
	if ci.Page != nil {
		parts = append(parts, fmt.Sprintf("page %d", ci.GetPage()))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

// findScenario returns the scenario named by id, or the first whose title
// contains all the words given; with none given, the first listed.
func (c *client) findScenario(ctx context.Context, want string) (*scenariov1.Scenario, error) {
	res, err := c.scenarios().ListScenarios(ctx, authed(c, &scenariov1.ListScenariosRequest{PageSize: 200}))
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", connectErr(err))
	}
	words := strings.Fields(strings.ToLower(want))
	for _, s := range res.Msg.GetScenarios() {
		if s.GetId() == want {
			return s, nil
		}
		title := strings.ToLower(s.GetTitle())
		ok := true
		for _, w := range words {
			if !strings.Contains(title, w) {
				ok = false
			}
		}
		if ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no scenario matches %q (list-scenarios shows them)", want)
}
