//! `infra/template.yaml` must describe the table the code uses (and the contract tests create), and deploy the
//! binaries this crate builds.

use cchc_functions::store::TABLE_DEFINITION;
use serde_yaml::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("infra/template.yaml")).expect("YAML")
}

fn pairs(list: &Value, key: &str, value: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|item| (item[key].as_str().expect(key).to_string(), item[value].as_str().expect(value).to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_template_table_is_the_one_the_code_uses() {
    let t = TABLE_DEFINITION;
    let table = &template()["Resources"]["Table"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        pairs(&table["KeySchema"], "AttributeName", "KeyType"),
        vec![(t.partition_key.into(), "HASH".into()), (t.sort_key.into(), "RANGE".into())]
    );
    let mut attributes = [t.partition_key, t.sort_key, t.gsi_partition_key, t.gsi_sort_key];
    attributes.sort_unstable();
    assert_eq!(
        pairs(&table["AttributeDefinitions"], "AttributeName", "AttributeType"),
        attributes.iter().map(|a| (a.to_string(), "S".to_string())).collect::<Vec<_>>()
    );
    let gsi = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi["IndexName"], t.gsi_name);
    assert_eq!(
        pairs(&gsi["KeySchema"], "AttributeName", "KeyType"),
        vec![(t.gsi_partition_key.into(), "HASH".into()), (t.gsi_sort_key.into(), "RANGE".into())]
    );
    assert_eq!(gsi["Projection"]["ProjectionType"], "ALL");
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], t.ttl_attribute);
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(table["DeletionProtectionEnabled"], true);
    assert_eq!(table["StreamSpecification"]["StreamViewType"], t.stream_view_type);
}

/// Survey responses are counted behind their writes by the aggregator, from the table's stream: inserts of responses
/// only, failures reported per record, retried, then kept in a dead-letter queue that raises an alarm, as does a
/// stream the aggregator falls behind on.
#[test]
fn the_aggregator_counts_from_the_stream_with_a_dead_letter_queue_and_alarms() {
    let t = template();
    let function = &t["Resources"]["AggregateFunction"]["Properties"];
    assert!(text(&function["CodeUri"]).ends_with("/cchc-aggregate/"));
    let source = &function["Events"]["Responses"];
    assert_eq!(source["Type"], "DynamoDB");
    let source = &source["Properties"];
    assert_eq!(text(&source["Stream"]), "Table.StreamArn");
    assert_eq!(
        list(&source["FunctionResponseTypes"]).iter().map(|v| text(v)).collect::<Vec<_>>(),
        ["ReportBatchItemFailures"]
    );
    assert!(source["MaximumRetryAttempts"].as_u64().is_some_and(|n| n > 0), "failures are retried, not forever");
    let pattern = text(&list(&source["FilterCriteria"]["Filters"])[0]["Pattern"]);
    assert!(pattern.contains("\"INSERT\"") && pattern.contains("RESP#"), "{pattern}");
    let queue = text(&source["DestinationConfig"]["OnFailure"]["Destination"]);
    assert_eq!(queue, "AggregateDeadLetters.Arn");
    assert_eq!(t["Resources"]["AggregateDeadLetters"]["Type"], "AWS::SQS::Queue");
    let alarms = resources_of_type(&t, "AWS::CloudWatch::Alarm");
    let watches = |metric: &str, subject: &str| {
        alarms.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["MetricName"] == metric && format!("{:?}", p["Dimensions"]).contains(subject)
        })
    };
    assert!(watches("ApproximateNumberOfMessagesVisible", "AggregateDeadLetters"), "an alarm on the dead letters");
    assert!(watches("IteratorAge", "AggregateFunction"), "an alarm when counting falls behind");
}

#[test]
fn every_function_deploys_a_binary_this_crate_builds() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("Cargo.toml");
    let resources = template()["Resources"].as_mapping().expect("resources").clone();
    let functions: Vec<&Value> = resources.values().filter(|r| r["Type"] == "AWS::Serverless::Function").collect();
    assert_eq!(functions.len(), manifest.matches("[[bin]]").count(), "one function per binary");
    for function in functions {
        let code = function["Properties"]["CodeUri"].as_str().expect("CodeUri");
        let name = code.trim_end_matches('/').rsplit('/').next().expect("binary name");
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{code} is not a binary of cchc-functions");
    }
}

// ------------------------------------------------------------------ helpers for the tests below

fn read_yaml(name: &str) -> Value {
    let path = format!("{}/../infra/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(&path).expect("template")).expect("YAML")
}

/// The value under a CloudFormation short-form tag (`!Ref X` → `X`), or the value itself.
fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

/// The tag of a tagged value (`!If`, `!Ref`, ...), if any.
fn tag(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => Some(tagged.tag.to_string()),
        _ => None,
    }
}

fn list(value: &Value) -> Vec<&Value> {
    match untag(value) {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn text(value: &Value) -> String {
    untag(value).as_str().map(str::to_string).unwrap_or_else(|| format!("{value:?}"))
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(k, r)| (k.as_str().expect("logical id").to_string(), r))
        .collect()
}

// ------------------------------------------------------------------ the site's 404 and the API's errors

/// Issue 23: custom error responses apply to a whole distribution, so an API 403/404 (problem+json) would reach
/// clients as /404.html. The site's 404 must come from the site's behaviour alone.
#[test]
fn the_site_404_never_rewrites_api_errors() {
    let t = template();
    let config = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    for response in list(&config["CustomErrorResponses"]) {
        assert!(
            response["ResponsePagePath"].is_null(),
            "a distribution-wide custom error page also rewrites /api/* errors: {response:?}"
        );
    }

    // The default (site) behaviour reads from an origin group that fails over on 403/404 to the not-found origin.
    let default_target = text(&config["DefaultCacheBehavior"]["TargetOriginId"]);
    let groups = list(&config["OriginGroups"]["Items"]);
    let group =
        groups.iter().find(|g| text(&g["Id"]) == default_target).expect("the site behaviour uses an origin group");
    let mut codes: Vec<u64> =
        list(&group["FailoverCriteria"]["StatusCodes"]["Items"]).iter().filter_map(|c| c.as_u64()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [403, 404]);
    let members: Vec<String> = list(&group["Members"]["Items"]).iter().map(|m| text(&m["OriginId"])).collect();
    assert_eq!(members.len(), 2);
    let origins = list(&config["Origins"]);
    let origin = |id: &str| *origins.iter().find(|o| text(&o["Id"]) == id).unwrap_or_else(|| panic!("origin {id}"));
    assert!(!origin(&members[0])["S3OriginConfig"].is_null(), "the group's first member is the site bucket");
    let not_found_path = text(&origin(&members[1])["OriginPath"]);

    // The not-found origin is a route of the HTTP API that answers the site's /404.html with status 404.
    let routes = resources_of_type(&t, "AWS::ApiGatewayV2::Route");
    let route = routes
        .iter()
        .find(|(_, r)| text(&r["Properties"]["RouteKey"]) == format!("GET {not_found_path}/{{proxy+}}"))
        .map(|(_, r)| *r)
        .expect("a route for the not-found origin's path");
    let target = text(&route["Properties"]["Target"]);
    let integration_id = target.trim_start_matches("integrations/${").trim_end_matches('}');
    let integration = &t["Resources"][integration_id]["Properties"];
    assert!(text(&integration["IntegrationUri"]).ends_with("/404.html"));
    let overrides = list(&integration["ResponseParameters"]["200"]["ResponseParameters"]);
    assert!(
        overrides.iter().any(|p| text(&p["Destination"]) == "overwrite:statuscode" && text(&p["Source"]) == "404"),
        "the not-found page is answered with status 404, not 200"
    );

    // Every /api/* behaviour goes straight to the API origin: never to a group that could substitute a page.
    let behaviours = list(&config["CacheBehaviors"]);
    assert!(behaviours.iter().any(|b| text(&b["PathPattern"]) == "/api/*"));
    for behaviour in behaviours {
        let pattern = text(&behaviour["PathPattern"]);
        if pattern.starts_with("/api/") {
            assert_eq!(text(&behaviour["TargetOriginId"]), "api", "{pattern} must reach the API unchanged");
        }
    }
}

// ------------------------------------------------------------------ personal data

#[test]
fn only_the_back_office_role_may_decrypt_personal_data() {
    let t = template();
    let key = &t["Resources"]["PersonalDataKey"];
    assert_eq!(key["DeletionPolicy"], "Retain", "losing the key loses the data");
    assert_eq!(key["Properties"]["EnableKeyRotation"], true);
    let statements = list(&key["Properties"]["KeyPolicy"]["Statement"]);
    let decrypts = |s: &&Value| list(&s["Action"]).iter().any(|a| a.as_str() == Some("kms:Decrypt"));
    let principals = |s: &Value| -> Vec<String> {
        list(&s["Principal"]["AWS"]).iter().map(|p| format!("{:?}", untag(p))).collect::<Vec<_>>()
    };
    let deny = statements
        .iter()
        .find(|s| s["Effect"] == "Deny" && decrypts(s))
        .expect("an explicit Deny of kms:Decrypt for everyone but the back office");
    assert_eq!(text(&deny["Principal"]["AWS"]), "*");
    let except = format!("{:?}", untag(&deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]));
    assert!(except.contains("ModerationFunctionRole"), "the Deny spares only the moderation role: {except}");
    for allow in statements.iter().filter(|s| s["Effect"] == "Allow") {
        let account_root = format!("{:?}", allow["Principal"]["AWS"]).contains(":root");
        if decrypts(allow) || account_root {
            // The account's statement is what lets IAM policies work at all; the Deny above still binds it.
            assert!(account_root || principals(allow).iter().all(|p| p.contains("ModerationFunctionRole")));
        }
    }
    let submit = statements
        .iter()
        .find(|s| s["Effect"] == "Allow" && principals(s).iter().any(|p| p.contains("SurveysFunctionRole")))
        .expect("the submit functions may encrypt");
    assert!(!decrypts(submit), "a submit function can encrypt, never decrypt");
    for role in ["CommentsFunctionRole", "QuestionsFunctionRole", "SurveysFunctionRole"] {
        assert!(principals(submit).iter().any(|p| p.contains(role)), "{role} encrypts");
    }
    let variables = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert!(!variables["CCHC_PERSONAL_DATA_KEY"].is_null());
    assert!(!variables["CCHC_CONTACT_RETENTION_MONTHS"].is_null());
    assert_eq!(t["Parameters"]["ContactRetentionMonths"]["Type"], "Number");
}

#[test]
fn the_access_code_secret_is_passed_by_name_and_readable_only_there() {
    let t = template();
    assert!(t["Parameters"]["AccessCodeSecretParameter"]["NoEcho"].is_null(), "a name, not a secret");
    for name in ["SurveysFunction", "ModerationFunction"] {
        let function = &t["Resources"][name]["Properties"];
        assert_eq!(
            text(&function["Environment"]["Variables"]["CCHC_ACCESS_CODE_SECRET_PARAMETER"]),
            "AccessCodeSecretParameter"
        );
        let statements = list(&function["Policies"][0]["Statement"]);
        let ssm = statements.iter().find(|s| text(&s["Action"]) == "ssm:GetParameter").expect("reads the parameter");
        let resources: Vec<String> = list(&ssm["Resource"]).into_iter().map(text).collect();
        assert!(resources.iter().any(|r| r.ends_with(":parameter${AccessCodeSecretParameter}")), "{resources:?}");
        // The back office (moderation) also reads its session key; nothing else.
        assert!(
            resources.iter().all(|r| r.ends_with(":parameter${AccessCodeSecretParameter}")
                || (name == "ModerationFunction" && r.ends_with(":parameter${SessionKeyParameter}"))),
            "{resources:?}"
        );
    }
    for name in ["CommentsFunction", "QuestionsFunction"] {
        assert!(!format!("{:?}", t["Resources"][name]).contains("ssm:"), "{name} has no use for the secret");
    }
}

// ------------------------------------------------------------------ operations

#[test]
fn moderators_sign_in_with_the_stack_pool_or_another_issuer() {
    let t = template();
    let mut groups: Vec<String> = resources_of_type(&t, "AWS::Cognito::UserPoolGroup")
        .iter()
        .map(|(_, g)| text(&g["Properties"]["GroupName"]))
        .collect();
    groups.sort();
    assert_eq!(groups, ["bien-tap", "kiem-duyet", "quan-tri"]);
    let pool = &t["Resources"]["UserPool"];
    assert_eq!(pool["Condition"], "UseStackUserPool");
    assert_eq!(pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], true, "no self sign-up");
    for parameter in ["JwtIssuer", "JwtAudience"] {
        assert_eq!(t["Parameters"][parameter]["Default"], "", "{parameter} stays, empty meaning the stack's pool");
    }
    let jwt = &t["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["ModeratorJwt"]["JwtConfiguration"];
    assert_eq!(tag(&jwt["issuer"]).as_deref(), Some("!If"));
    assert!(format!("{:?}", jwt["issuer"]).contains("JwtIssuer"));
}

#[test]
fn functions_log_json_and_alarms_reach_people() {
    let t = template();
    let logging = &t["Globals"]["Function"]["LoggingConfig"];
    assert_eq!(logging["LogFormat"], "JSON");
    let group = text(&logging["LogGroup"]);
    assert!(t["Resources"][group.as_str()]["Properties"]["RetentionInDays"].as_u64().is_some(), "logs expire");
    let alarms = resources_of_type(&t, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 6);
    for (id, alarm) in alarms {
        let actions: Vec<String> = list(&alarm["Properties"]["AlarmActions"]).iter().map(|a| text(a)).collect();
        assert_eq!(actions, ["AlarmTopic"], "{id} notifies the topic");
    }
    let topic = &t["Resources"]["AlarmTopic"]["Properties"];
    assert!(list(&topic["Subscription"]).iter().any(|s| s["Protocol"] == "email"));
    assert_eq!(resources_of_type(&t, "AWS::CloudWatch::Dashboard").len(), 1);
}

#[test]
fn the_web_acl_is_optional_and_guards_the_api() {
    let t = template();
    let config = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    assert_eq!(tag(&config["WebACLId"]).as_deref(), Some("!If"));
    assert_eq!(text(list(&config["WebACLId"])[0]), "HasWebAcl");

    let waf = read_yaml("waf.yaml");
    let acl = &waf["Resources"]["WebAcl"]["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    let rules = list(&acl["Rules"]);
    let rate =
        rules.iter().map(|r| &r["Statement"]["RateBasedStatement"]).find(|s| !s.is_null()).expect("a rate-based rule");
    let scope = &rate["ScopeDownStatement"]["ByteMatchStatement"];
    assert_eq!(
        (text(&scope["SearchString"]).as_str(), text(&scope["PositionalConstraint"]).as_str()),
        ("/api/", "STARTS_WITH")
    );
    assert!(
        rules.iter().any(|r| r["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesCommonRuleSet"),
        "AWS's common rule set"
    );
    assert!(format!("{rules:?}").contains("SizeConstraintStatement"), "a body size limit");
}

// ------------------------------------------------------------------ least privilege for CI

/// Whether IAM action pattern `pattern` (with `*` and `?`) covers `action`; IAM compares case-insensitively.
fn covers(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The problems of a policy document: wildcard actions on every resource, `iam:PassRole` beyond the stack's
/// roles (or to anything but Lambda), roles created without the permissions boundary, `NotAction`/`NotResource`.
fn policy_problems(name: &str, policy: &serde_json::Value) -> Vec<String> {
    let stack_roles = "arn:aws:iam::ACCOUNT_ID:role/STACK_NAME-*";
    let mut problems = Vec::new();
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
        let sid = s["Sid"].as_str().unwrap_or("?");
        if !s["NotAction"].is_null() || !s["NotResource"].is_null() {
            problems.push(format!("{name} {sid}: NotAction/NotResource in an Allow"));
        }
        let (actions, resources) = (strings(&s["Action"]), strings(&s["Resource"]));
        let everywhere = resources.iter().any(|r| r == "*");
        for action in &actions {
            if everywhere && action.contains('*') {
                problems.push(format!("{name} {sid}: wildcard action {action} on every resource"));
            }
            if covers(action, "iam:PassRole") {
                if resources.iter().any(|r| r != stack_roles) {
                    problems.push(format!("{name} {sid}: iam:PassRole beyond the stack's roles: {resources:?}"));
                }
                if s["Condition"]["StringEquals"]["iam:PassedToService"] != "lambda.amazonaws.com" {
                    problems.push(format!("{name} {sid}: iam:PassRole not limited to Lambda"));
                }
            }
            if covers(action, "iam:CreateRole") && s["Condition"]["StringEquals"]["iam:PermissionsBoundary"].is_null() {
                problems.push(format!("{name} {sid}: roles created without the permissions boundary"));
            }
        }
    }
    problems
}

fn policy_files() -> Vec<(String, serde_json::Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra");
    let mut files: Vec<(String, serde_json::Value)> = std::fs::read_dir(dir)
        .expect("infra/")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".json"))
        .map(|n| {
            let body = std::fs::read_to_string(format!("{dir}/{n}")).expect("policy");
            let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, json)
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

#[test]
fn the_deploy_policies_are_least_privilege() {
    let files = policy_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in
        ["deploy-policy.json", "deploy-operations-policy.json", "publish-policy.json", "functions-boundary.json"]
    {
        assert!(names.contains(&expected), "infra/{expected} is missing");
    }
    let problems: Vec<String> = files.iter().flat_map(|(n, p)| policy_problems(n, p)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // IAM counts a managed policy's characters without white space; the limit is 6,144.
    for (name, policy) in &files {
        let size = serde_json::to_string(policy).expect("JSON").replace("ACCOUNT_ID", "123456789012").len();
        assert!(size <= 6144 - 200, "{name}: {size} characters leaves no room for a longer stack name");
    }
    // The deploy role may create and pass roles; both only with the boundary and only the stack's.
    let deploy = &files.iter().find(|(n, _)| n == "deploy-policy.json").expect("deploy").1;
    let all_actions: Vec<String> =
        deploy["Statement"].as_array().expect("statements").iter().flat_map(|s| strings(&s["Action"])).collect();
    assert!(all_actions.iter().any(|a| a == "iam:PassRole"));
    assert!(all_actions.iter().any(|a| a == "iam:CreateRole"));
}

/// The policy test itself must fail on what it is meant to catch.
#[test]
fn the_policy_check_catches_what_it_should() {
    let bad = serde_json::json!({ "Statement": [
        { "Sid": "a", "Effect": "Allow", "Action": "*", "Resource": "*" },
        { "Sid": "b", "Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["*"] },
        { "Sid": "c", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*" },
        { "Sid": "d", "Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::ACCOUNT_ID:role/admin" },
        { "Sid": "e", "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::x" },
    ]});
    let problems = policy_problems("bad", &bad);
    for sid in ["a", "b", "c", "d", "e"] {
        assert!(problems.iter().any(|p| p.starts_with(&format!("bad {sid}:"))), "{sid} not caught: {problems:#?}");
    }
    let good = serde_json::json!({ "Statement": [
        { "Sid": "p", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::ACCOUNT_ID:role/STACK_NAME-*",
          "Condition": { "StringEquals": { "iam:PassedToService": "lambda.amazonaws.com" } } },
        { "Sid": "v", "Effect": "Allow", "Action": "cloudformation:ValidateTemplate", "Resource": "*" },
    ]});
    assert_eq!(policy_problems("good", &good), Vec::<String>::new());
}
