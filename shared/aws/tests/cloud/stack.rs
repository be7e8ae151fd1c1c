//! A generated SAM application as CloudFormation would deploy it: `baton synth --sam`'s template
//! and state machine for a pipeline, with CloudFormation's part played here — each resource
//! given a physical name, `!Ref`, `!Sub` and `!GetAtt` resolved, the state machine's
//! substitutions made — so the cloud-mode test wires every function from the environment the
//! template gives it, never from names of its own.

use std::collections::BTreeMap;
use std::path::Path;

use baton_aws::entrypoints::config::Env;
use serde::Deserialize;
use serde_saphyr::Tagged;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// A template value: a scalar, with the short-form intrinsic function (`!Ref`, `!Sub`,
/// `!GetAtt`) it is wrapped in, if any.
type Scalar = Tagged<String>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Template {
    parameters: BTreeMap<String, Parameter>,
    globals: Globals,
    resources: BTreeMap<String, Resource>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Parameter {
    default: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Globals {
    function: Properties,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Resource {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default)]
    properties: Properties,
}

/// The properties the test reads; the rest are CloudFormation's business.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    name: Option<Scalar>,
    environment: Option<Environment>,
    application_name: Option<Scalar>,
    deployment_group_name: Option<String>,
    definition_substitutions: Option<BTreeMap<String, Scalar>>,
    alarm_name: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Environment {
    #[serde(default)]
    variables: BTreeMap<String, Scalar>,
}

/// The application deployed as stack `name`.
pub(crate) struct Stack {
    pub name: String,
    pub pipeline: baton_core::Pipeline,
    template: Template,
    state_machine: String,
}

impl Stack {
    /// `baton synth --sam` of `text` (pipeline.yml), deployed as `name`.
    pub(crate) fn generate(name: &str, text: &str) -> Self {
        let file = Path::new("pipeline.yml");
        let pipeline = baton_core::parse_pipeline(file, text).unwrap();
        let options = baton_core::sam::Options {
            functions_dir: "../functions".into(),
        };
        let app = baton_core::sam::application(&pipeline, file, text, &options).unwrap();
        Self {
            name: name.to_string(),
            pipeline,
            template: serde_saphyr::from_str(&app.template).expect("the template reads back"),
            state_machine: app.state_machine,
        }
    }

    /// What function `logical` starts with: the template's global variables and its own.
    pub(crate) fn env(&self, logical: &str) -> Env {
        let own = self.resource(logical).properties.environment.as_ref();
        let global = self.template.globals.function.environment.as_ref();
        global
            .into_iter()
            .chain(own)
            .flat_map(|e| e.variables.iter())
            .map(|(k, v)| (k.clone(), self.resolve(v)))
            .collect()
    }

    /// The state machine's name and its definition as Step Functions receives it.
    pub(crate) fn state_machine(&self) -> (String, String) {
        let machine = self
            .template
            .resources
            .values()
            .find(|r| r.kind == "AWS::Serverless::StateMachine")
            .expect("a state machine");
        let mut definition = self.state_machine.clone();
        for (key, value) in machine.properties.definition_substitutions.iter().flatten() {
            definition = definition.replace(&format!("${{{key}}}"), &self.resolve(value));
        }
        assert!(!definition.contains("${"), "every substitution is defined: {definition}");
        (self.resolve(machine.properties.name.as_ref().unwrap()), definition)
    }

    /// Every CodeDeploy deployment group: (application, group).
    pub(crate) fn deployment_groups(&self) -> Vec<(String, String)> {
        self.of_type("AWS::CodeDeploy::DeploymentGroup")
            .map(|r| {
                let p = &r.properties;
                (
                    self.resolve(p.application_name.as_ref().unwrap()),
                    p.deployment_group_name.clone().unwrap(),
                )
            })
            .collect()
    }

    /// Every CloudWatch alarm's name, metric and composite alike.
    pub(crate) fn alarm_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .of_type("AWS::CloudWatch::Alarm")
            .chain(self.of_type("AWS::CloudWatch::CompositeAlarm"))
            .map(|r| self.resolve(r.properties.alarm_name.as_ref().expect("alarms are named")))
            .collect();
        names.sort();
        names
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.template.resources.values().filter(move |r| r.kind == kind)
    }

    fn resource(&self, logical: &str) -> &Resource {
        self.template
            .resources
            .get(logical)
            .unwrap_or_else(|| panic!("the template has no {logical}"))
    }

    fn resolve(&self, value: &Scalar) -> String {
        match value.1.as_deref() {
            None => value.0.clone(),
            Some("!Ref") => self.reference(&value.0),
            Some("!GetAtt") => self.attribute(&value.0),
            Some("!Sub") => self.substitute(&value.0),
            Some(other) => panic!("the test resolves no {other}"),
        }
    }

    /// `!Ref`: a pseudo parameter, a parameter's default, or a resource's physical name.
    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::StackName" => self.name.clone(),
            "AWS::Region" => REGION.into(),
            "AWS::AccountId" => ACCOUNT.into(),
            "AWS::Partition" => "aws".into(),
            _ if self.template.parameters.contains_key(name) => self.template.parameters[name].default.clone().unwrap_or_default(),
            _ => self.physical_name(name),
        }
    }

    /// A resource's name: the one its properties give, else one CloudFormation would make up
    /// (lower case, as a bucket's must be).
    fn physical_name(&self, logical: &str) -> String {
        match &self.resource(logical).properties.name {
            Some(name) => self.resolve(name),
            None => format!("{}-{}", self.name, logical.to_lowercase()),
        }
    }

    /// `!GetAtt X.Arn`, the only attribute the functions' environment reads.
    fn attribute(&self, path: &str) -> String {
        let (logical, attribute) = path.split_once('.').unwrap();
        assert_eq!(attribute, "Arn", "{path}");
        let name = self.physical_name(logical);
        match self.resource(logical).kind.as_str() {
            "AWS::Serverless::Function" => format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
            "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"),
            other => panic!("the test makes no ARN for a {other}"),
        }
    }

    /// `!Sub`: `${Name}` as `!Ref Name`, `${Name.Attribute}` as `!GetAtt`.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("a closed ${") + start;
            let name = &rest[start + 2..end];
            out.push_str(&if name.contains('.') && !name.starts_with("AWS::") {
                self.attribute(name)
            } else {
                self.reference(name)
            });
            rest = &rest[end + 1..];
        }
        out + rest
    }
}
