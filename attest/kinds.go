package attest

// Kind is one kind of evidence modelgate judges: the name --type takes and
// the gates ask for, its in-toto predicate type, the role a signer must
// hold for it to count, the predicate field that dates it and every
// top-level time field. Kinds with a schema are modelgate's own, validated
// by schemas/SHORT.json; the others are accepted as their own
// specifications write them and passed to policy as they are.
//
// This list is the one registry: the Rego side reads it from the bundle's
// data.modelgate.kinds (policies/modelgate/kinds/data.json, written from
// it and checked against it by a test). Adding a kind touches its schema,
// this list, its gate and their tests.
type Kind struct {
	Short      string
	Type       string
	Role       string
	EventTime  string
	TimeFields []string
	Schema     bool
}

// Kinds lists every kind, modelgate's own first, in pipeline order.
var Kinds = []Kind{
	own("data-validation", "data", "validated_at", "validated_at"),
	own("training", "training", "finished_at", "started_at", "finished_at"),
	own("evaluation", "evaluation", "evaluated_at", "evaluated_at"),
	own("approval", "approver", "approved_at", "approved_at", "expires_at"),
	own("risk", "risk", "", "valid_until"),
	own("smoke-test", "deploy", "tested_at", "tested_at"),
	own("canary", "canary", "analyzed_at", "analyzed_at"),
	own("waiver", "waiver", "", "expires_at"),
	own("shadow", "canary", "analyzed_at", "analyzed_at"),
	own("explanation", "evaluation", "explained_at", "explained_at"),
	{Short: "provenance", Type: ProvenanceType, Role: "training"},
	{Short: "model-signature", Type: ModelSignatureType, Role: "training"},
}

func own(short, role, event string, times ...string) Kind {
	return Kind{Short: short, Type: TypeURI(short), Role: role, EventTime: event, TimeFields: times, Schema: true}
}

// KindsData is the registry as the bundle's data.modelgate.kinds holds
// it, in the three lookups the Rego library makes on every decision: a
// kind's type by its short name, the role a type's signer must hold, and
// the predicate field that dates a type.
func KindsData() map[string]map[string]string {
	out := map[string]map[string]string{"types": {}, "roles": {}, "time_fields": {}}
	for _, k := range Kinds {
		out["types"][k.Short] = k.Type
		out["roles"][k.Type] = k.Role
		if k.EventTime != "" {
			out["time_fields"][k.Type] = k.EventTime
		}
	}
	return out
}

// Derived views of the registry, for the code that reads one facet.
var (
	// ShortNames are modelgate's own kinds, in pipeline order.
	ShortNames []string
	// TimeFields names the top-level time fields of each of modelgate's
	// kinds, and EventTime the one that dates the evidence itself.
	TimeFields  = map[string][]string{}
	EventTime   = map[string]string{}
	schemaFiles = map[string]bool{}
)

func init() {
	for _, k := range Kinds {
		if !k.Schema {
			continue
		}
		ShortNames = append(ShortNames, k.Short)
		schemaFiles[k.Short] = true
		TimeFields[k.Short] = k.TimeFields
		if k.EventTime != "" {
			EventTime[k.Short] = k.EventTime
		}
	}
}
