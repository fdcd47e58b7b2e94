package customer

import scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"

// Stock reactions, used where the scenario has no line of its own. Written
// to be spoken: short sentences, contractions, no abbreviations.
var (
	pushedStock = []string{
		"Hold on. I don't like being pushed.",
		"You're not listening to me. I told you what my concern is.",
		"I'm going to need you to slow down.",
	}
	handledStock = []string{
		"Okay. That actually helps.",
		"Alright, that makes more sense now.",
		"Fair enough. I can live with that.",
	}
	progressStock = []string{
		"I hear you. I'm just not sure yet.",
		"Okay, but I'm still not convinced.",
		"Maybe. Keep going.",
	}
	stillConcerned = []string{
		"I'm not there yet. You still haven't answered my concern.",
		"Not so fast. I told you what's bothering me.",
		"Before I say yes to anything, I need that sorted out.",
	}
	buyStock = []string{
		"Okay. Let's do it.",
		"Alright, you've convinced me. Add it.",
		"Fine, that works for me. Let's go ahead.",
	}
	deferStock = []string{
		"I need to think about it. Can I get back to you?",
		"Let me sleep on it before I commit to anything.",
		"I'm not ready to decide today. Give me some time.",
	}
	walkStock = []string{
		"No. I'll just take the car as it is, no extras.",
		"I'm done here. Just print the contract without any of this.",
		"Forget it. I'm not buying anything else today.",
	}
	pressuredStock = []string{
		"Whoa. Don't rush me.",
		"I'm starting to feel pressured here.",
		"Please don't pressure me into this.",
	}
	misledStock = []string{
		"That doesn't sound right to me.",
		"Really? That's not what I've heard.",
		"I'm pretty sure that's not true.",
	}
	arguedStock = []string{
		"I don't appreciate being talked down to.",
		"Okay, no need to argue with me.",
		"Look, I know what I know.",
	}
	menuStock = []string{
		"Okay, that's a lot of options. Which ones actually matter for someone like me?",
		"Alright. Walk me through what I'd really need.",
		"Hmm. So what's the difference between these?",
	}
	considerStock = []string{
		"Hmm. Let me think about that.",
		"Okay. That's not nothing, but I see the point.",
		"I see. I'll keep that in mind.",
	}
	valueStock = []string{
		"Okay, that sounds useful. What does it do to my payment?",
		"Interesting. And what does that cost me?",
		"That makes sense. How much are we talking?",
	}
	priceFirstStock = []string{
		"That's a lot. What would I even be paying for?",
		"Wait, what is that for exactly?",
		"Hmm, that's more money. Why would I need it?",
	}
	answerStock = []string{
		"Honestly, I hadn't thought much about it.",
		"I don't know. It depends, I guess.",
		"Nothing special, really. Why do you ask?",
	}
	rapportStock = []string{
		"Thanks. I'm pretty excited about it.",
		"Thanks, I appreciate that.",
		"That's nice of you to say.",
	}
	disclosureStock = []string{
		"Good to know. I appreciate you being straight with me.",
		"Okay, thanks for being upfront.",
		"Alright. That's good to hear.",
	}
	whatIsItStock = []string{
		"What is that, exactly?",
		"And what does that do for me?",
		"I've heard of it, but what is it really?",
	}
	neutralStock = []string{
		"Okay.",
		"Alright. What's next?",
		"Sure. Go ahead.",
	}
	afterOutcome = map[scenariov1.Outcome][]string{
		scenariov1.Outcome_OUTCOME_BOUGHT:   {"Great. Where do I sign?", "Let's wrap up the paperwork then.", "Sounds good. What's next?"},
		scenariov1.Outcome_OUTCOME_DEFERRED: {"Like I said, I need to think about it.", "I'll let you know.", "Let's just finish up for today."},
		scenariov1.Outcome_OUTCOME_WALKED:   {"I've made up my mind. Let's just finish the paperwork.", "No, thank you. I'm done.", "Please just print the contract."},
	}
)
