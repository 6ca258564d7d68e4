package questionnaire

// Default returns the built-in questionnaire, shaped after what Directive
// (EU) 2019/1937 expects a report to let the recipient follow up on. It is
// rebuilt on every call so callers can never modify a shared copy.
//
// The texts are written for a frightened reader who is not a lawyer: short
// sentences, no jargon, and reassurance that partial answers are fine.
func Default() Questionnaire {
	return Questionnaire{
		ID:      "default",
		Version: 1,
		Title: Text{
			"en": "Your report",
			"da": "Din indberetning",
			"nb": "Ditt varsel",
		},
		Questions: []Question{
			{
				ID:       "what",
				Kind:     KindTextarea,
				Required: true,
				Label: Text{
					"en": "What happened?",
					"da": "Hvad er der sket?",
					"nb": "Hva har skjedd?",
				},
				Help: Text{
					"en": "Describe what happened as precisely as you can: what you saw or heard, and why you think it is wrong. You do not need proof.",
					"da": "Beskriv så præcist som muligt, hvad der er sket: hvad du har set eller hørt, og hvorfor du mener, det er forkert. Du behøver ikke at have beviser.",
					"nb": "Beskriv så nøyaktig du kan hva som har skjedd: hva du har sett eller hørt, og hvorfor du mener det er galt. Du trenger ikke å ha bevis.",
				},
			},
			{
				ID:       "when",
				Kind:     KindText,
				Required: true,
				Label: Text{
					"en": "When did it happen? Is it still going on?",
					"da": "Hvornår skete det? Foregår det stadig?",
					"nb": "Når skjedde det? Pågår det fortsatt?",
				},
				Help: Text{
					"en": "An exact date is not needed. For example: “March 2024”, “every month since last year” or “it is still happening”.",
					"da": "Du behøver ikke en præcis dato. Skriv fx »marts 2024«, »hver måned siden sidste år« eller »det sker stadig«.",
					"nb": "Du trenger ikke oppgi nøyaktig dato. Skriv for eksempel «mars 2024», «hver måned siden i fjor» eller «det skjer fortsatt».",
				},
			},
			{
				ID:   "where",
				Kind: KindText,
				Label: Text{
					"en": "Where did it happen?",
					"da": "Hvor skete det?",
					"nb": "Hvor skjedde det?",
				},
				Help: Text{
					"en": "For example the department, unit, site or office.",
					"da": "Fx afdeling, enhed, arbejdssted eller kontor.",
					"nb": "For eksempel avdeling, enhet, arbeidssted eller kontor.",
				},
			},
			{
				ID:   "who",
				Kind: KindTextarea,
				Label: Text{
					"en": "Who is involved?",
					"da": "Hvem er involveret?",
					"nb": "Hvem er involvert?",
				},
				Help: Text{
					"en": "Names or job titles of the people involved, if you know them. You can also mention others who may have seen what happened.",
					"da": "Navne eller stillinger på de involverede, hvis du kender dem. Du kan også nævne andre, der kan have set, hvad der skete.",
					"nb": "Navn eller stillinger til de involverte, hvis du vet det. Du kan også nevne andre som kan ha sett hva som skjedde.",
				},
			},
			{
				ID:       "how_known",
				Kind:     KindChoice,
				Required: true,
				Label: Text{
					"en": "How do you know about this?",
					"da": "Hvordan kender du til det?",
					"nb": "Hvordan vet du om dette?",
				},
				Help: Text{
					"en": "Choose the answer that fits best. It helps us decide what to look into first.",
					"da": "Vælg det svar, der passer bedst. Det hjælper os med at vurdere, hvad vi skal undersøge først.",
					"nb": "Velg svaret som passer best. Det hjelper oss å vurdere hva vi skal undersøke først.",
				},
				Options: []Option{
					{ID: "witnessed", Label: Text{
						"en": "I saw or experienced it myself",
						"da": "Jeg har selv set eller oplevet det",
						"nb": "Jeg har selv sett eller opplevd det",
					}},
					{ID: "told", Label: Text{
						"en": "Someone told me",
						"da": "En anden har fortalt mig det",
						"nb": "Noen har fortalt meg det",
					}},
					{ID: "documents", Label: Text{
						"en": "From documents",
						"da": "Fra dokumenter",
						"nb": "Fra dokumenter",
					}},
					{ID: "other", Label: Text{
						"en": "Other",
						"da": "Andet",
						"nb": "Annet",
					}},
				},
			},
			{
				ID:   "area",
				Kind: KindChoice,
				Label: Text{
					"en": "Which area does it concern?",
					"da": "Hvilket område drejer det sig om?",
					"nb": "Hvilket område gjelder det?",
				},
				Help: Text{
					"en": "If you are unsure, choose “Other”.",
					"da": "Vælg »Andet«, hvis du er i tvivl.",
					"nb": "Velg «Annet» hvis du er usikker.",
				},
				Options: []Option{
					{ID: "public_procurement", Label: Text{
						"en": "Public procurement",
						"da": "Offentlige udbud",
						"nb": "Offentlige anskaffelser",
					}},
					{ID: "financial_services", Label: Text{
						"en": "Financial services, money laundering or terrorist financing",
						"da": "Finansielle tjenesteydelser, hvidvask eller terrorfinansiering",
						"nb": "Finansielle tjenester, hvitvasking eller terrorfinansiering",
					}},
					{ID: "product_safety", Label: Text{
						"en": "Product safety",
						"da": "Produktsikkerhed",
						"nb": "Produktsikkerhet",
					}},
					{ID: "environment", Label: Text{
						"en": "Environment",
						"da": "Miljø",
						"nb": "Miljø",
					}},
					{ID: "public_health", Label: Text{
						"en": "Public health",
						"da": "Folkesundhed",
						"nb": "Folkehelse",
					}},
					{ID: "consumer_protection", Label: Text{
						"en": "Consumer protection",
						"da": "Forbrugerbeskyttelse",
						"nb": "Forbrukervern",
					}},
					{ID: "privacy_data", Label: Text{
						"en": "Privacy and personal data",
						"da": "Privatliv og persondata",
						"nb": "Personvern og personopplysninger",
					}},
					{ID: "workplace", Label: Text{
						"en": "Working conditions, harassment or discrimination",
						"da": "Arbejdsforhold, chikane eller diskrimination",
						"nb": "Arbeidsforhold, trakassering eller diskriminering",
					}},
					{ID: "other", Label: Text{
						"en": "Other",
						"da": "Andet",
						"nb": "Annet",
					}},
				},
			},
			{
				ID:   "reported_before",
				Kind: KindChoice,
				Label: Text{
					"en": "Have you reported this anywhere before?",
					"da": "Har du indberettet det andre steder før?",
					"nb": "Har du varslet om dette et annet sted før?",
				},
				Options: []Option{
					{ID: "no", Label: Text{
						"en": "No",
						"da": "Nej",
						"nb": "Nei",
					}},
					{ID: "internally", Label: Text{
						"en": "Yes, inside the organisation",
						"da": "Ja, internt i organisationen",
						"nb": "Ja, internt i virksomheten",
					}},
					{ID: "authority", Label: Text{
						"en": "Yes, to a public authority",
						"da": "Ja, til en offentlig myndighed",
						"nb": "Ja, til en offentlig myndighet",
					}},
				},
			},
			{
				ID:       "identity_name",
				Kind:     KindText,
				Identity: true,
				Label: Text{
					"en": "Your name, if you wish to give it",
					"da": "Dit navn, hvis du vil oplyse det",
					"nb": "Navnet ditt, hvis du vil oppgi det",
				},
				Help: Text{
					"en": "Leave this empty to stay anonymous.",
					"da": "Lad feltet stå tomt, hvis du vil være anonym.",
					"nb": "La feltet stå tomt hvis du vil være anonym.",
				},
			},
			{
				ID:       "identity_contact",
				Kind:     KindText,
				Identity: true,
				Label: Text{
					"en": "How can we contact you outside this site?",
					"da": "Hvordan kan vi kontakte dig uden for denne side?",
					"nb": "Hvordan kan vi kontakte deg utenfor denne siden?",
				},
				Help: Text{
					"en": "Only if you want us to. For example a phone number or a private e-mail address – not your work e-mail. You can always read our replies here with your key code.",
					"da": "Kun hvis du ønsker det. Fx et telefonnummer eller en privat e-mailadresse – ikke din arbejdsmail. Du kan altid læse vores svar her med din nøglekode.",
					"nb": "Bare hvis du ønsker det. For eksempel et telefonnummer eller en privat e-postadresse – ikke jobb-e-posten din. Du kan alltid lese svarene våre her med nøkkelkoden din.",
				},
			},
			{
				ID:   "relationship",
				Kind: KindChoice,
				Label: Text{
					"en": "What is your relationship to the organisation?",
					"da": "Hvad er din tilknytning til organisationen?",
					"nb": "Hva er din tilknytning til virksomheten?",
				},
				Options: []Option{
					{ID: "employee", Label: Text{
						"en": "Employee",
						"da": "Ansat",
						"nb": "Ansatt",
					}},
					{ID: "former_employee", Label: Text{
						"en": "Former employee",
						"da": "Tidligere ansat",
						"nb": "Tidligere ansatt",
					}},
					{ID: "applicant", Label: Text{
						"en": "Job applicant",
						"da": "Jobansøger",
						"nb": "Jobbsøker",
					}},
					{ID: "contractor", Label: Text{
						"en": "Contractor, consultant or supplier",
						"da": "Leverandør, konsulent eller underleverandør",
						"nb": "Leverandør, konsulent eller innleid",
					}},
					{ID: "volunteer", Label: Text{
						"en": "Volunteer or trainee",
						"da": "Frivillig eller praktikant",
						"nb": "Frivillig eller praktikant",
					}},
					{ID: "shareholder", Label: Text{
						"en": "Shareholder or board member",
						"da": "Aktionær eller bestyrelsesmedlem",
						"nb": "Aksjonær eller styremedlem",
					}},
					{ID: "other", Label: Text{
						"en": "Other",
						"da": "Andet",
						"nb": "Annet",
					}},
				},
			},
		},
	}
}
