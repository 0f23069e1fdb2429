// Schema-level checks of deploy/k8s, written against the fields the manifests use (no
// cluster here): kinds and API versions, names that refer to each other, selectors that
// select the pods, probes on grpc.health.v1, resources, and the ConfigMap equal to
// deploy/models.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli.h"
#include "yaml-cpp/yaml.h"

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::Read;

const std::string kK8s = HBPREP_SOURCE_DIR "/deploy/k8s";

// Every document of the kustomization's resources, by "Kind/name".
std::map<std::string, YAML::Node> LoadManifests() {
  std::map<std::string, YAML::Node> docs;
  const YAML::Node kustomization = YAML::LoadFile(kK8s + "/kustomization.yaml");
  for (const YAML::Node& resource : kustomization["resources"]) {
    for (const YAML::Node& doc : YAML::LoadAllFromFile(kK8s + "/" + resource.as<std::string>())) {
      docs[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] = doc;
    }
  }
  return docs;
}

bool Selects(const YAML::Node& selector, const YAML::Node& labels) {
  if (!selector.IsMap() || selector.size() == 0) return false;
  for (const auto& item : selector) {
    const YAML::Node value = labels[item.first.as<std::string>()];
    if (!value.IsDefined() || value.as<std::string>() != item.second.as<std::string>()) return false;
  }
  return true;
}

class K8s : public ::testing::Test {
 protected:
  void SetUp() override {
    docs_ = LoadManifests();
    ASSERT_EQ(docs_.count("Deployment/hbprep"), 1u);
    deployment_ = docs_.at("Deployment/hbprep");
    pod_ = deployment_["spec"]["template"];
    container_ = pod_["spec"]["containers"][0];
  }

  int Port(const std::string& name) const {
    for (const YAML::Node& port : container_["ports"]) {
      if (port["name"].as<std::string>() == name) return port["containerPort"].as<int>();
    }
    return -1;
  }

  std::string Arg(const std::string& flag) const {
    for (const YAML::Node& arg : container_["args"]) {
      const std::string text = arg.as<std::string>();
      if (text.rfind(flag + "=", 0) == 0) return text.substr(flag.size() + 1);
    }
    return "";
  }

  std::map<std::string, YAML::Node> docs_;
  YAML::Node deployment_, pod_, container_;
};

TEST_F(K8s, EveryResourceHasTheExpectedKinds) {
  std::set<std::string> keys;
  for (const auto& [key, doc] : docs_) {
    keys.insert(key);
    EXPECT_TRUE(doc["apiVersion"].IsDefined()) << key;
  }
  EXPECT_EQ(keys, (std::set<std::string>{"ConfigMap/hbprep-models", "Deployment/hbprep",
                                         "HorizontalPodAutoscaler/hbprep",
                                         "PodDisruptionBudget/hbprep", "Service/hbprep",
                                         "Service/hbprep-headless"}));
  EXPECT_EQ(docs_.at("Deployment/hbprep")["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(docs_.at("HorizontalPodAutoscaler/hbprep")["apiVersion"].as<std::string>(),
            "autoscaling/v2");
  EXPECT_EQ(docs_.at("PodDisruptionBudget/hbprep")["apiVersion"].as<std::string>(), "policy/v1");
}

TEST_F(K8s, DeploymentServesTheMountedRepositoryWithHealthProbes) {
  EXPECT_TRUE(Selects(deployment_["spec"]["selector"]["matchLabels"], pod_["metadata"]["labels"]));
  EXPECT_EQ(Port("grpc"), 50051);
  EXPECT_EQ(Arg("--listen"), "0.0.0.0:50051");
  EXPECT_EQ(Arg("--metrics-listen"), "0.0.0.0:" + std::to_string(Port("metrics")));
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(container_[probe]["grpc"]["port"].as<int>(), Port("grpc")) << probe;
  }
  for (const char* kind : {"requests", "limits"}) {
    EXPECT_TRUE(container_["resources"][kind]["cpu"].IsDefined()) << kind;
    EXPECT_TRUE(container_["resources"][kind]["memory"].IsDefined()) << kind;
  }
  // The models volume is the ConfigMap, mounted where --models points.
  const YAML::Node mount = container_["volumeMounts"][0];
  EXPECT_EQ(Arg("--models"), mount["mountPath"].as<std::string>());
  EXPECT_TRUE(mount["readOnly"].as<bool>());
  bool found = false;
  for (const YAML::Node& volume : pod_["spec"]["volumes"]) {
    if (volume["name"].as<std::string>() != mount["name"].as<std::string>()) continue;
    found = true;
    EXPECT_EQ(docs_.count("ConfigMap/" + volume["configMap"]["name"].as<std::string>()), 1u);
  }
  EXPECT_TRUE(found);
  // A drain is never cut short by the kubelet.
  const int drain_ms = std::stoi(Arg("--drain-delay-ms")), grace_ms = std::stoi(Arg("--grace-ms"));
  EXPECT_GT(pod_["spec"]["terminationGracePeriodSeconds"].as<int>() * 1000, drain_ms + grace_ms);
  // Hardening.
  EXPECT_TRUE(pod_["spec"]["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_FALSE(container_["securityContext"]["allowPrivilegeEscalation"].as<bool>());
  EXPECT_TRUE(container_["securityContext"]["readOnlyRootFilesystem"].as<bool>());
}

TEST_F(K8s, ServicesSelectThePodsAndNamedPorts) {
  const YAML::Node headless = docs_.at("Service/hbprep-headless");
  EXPECT_EQ(headless["spec"]["clusterIP"].as<std::string>(), "None");
  for (const char* name : {"Service/hbprep-headless", "Service/hbprep"}) {
    const YAML::Node service = docs_.at(name);
    EXPECT_TRUE(Selects(service["spec"]["selector"], pod_["metadata"]["labels"])) << name;
    for (const YAML::Node& port : service["spec"]["ports"]) {
      EXPECT_GT(Port(port["targetPort"].as<std::string>()), 0) << name;
    }
  }
}

TEST_F(K8s, AutoscalerAndDisruptionBudgetTargetTheDeployment) {
  const YAML::Node hpa = docs_.at("HorizontalPodAutoscaler/hbprep");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["kind"].as<std::string>(), "Deployment");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"].as<std::string>(), "hbprep");
  EXPECT_EQ(hpa["spec"]["metrics"][0]["resource"]["name"].as<std::string>(), "cpu");
  EXPECT_LE(hpa["spec"]["minReplicas"].as<int>(), hpa["spec"]["maxReplicas"].as<int>());
  const YAML::Node pdb = docs_.at("PodDisruptionBudget/hbprep");
  EXPECT_TRUE(Selects(pdb["spec"]["selector"]["matchLabels"], pod_["metadata"]["labels"]));
  EXPECT_LT(pdb["spec"]["minAvailable"].as<int>(), hpa["spec"]["minReplicas"].as<int>());
}

TEST_F(K8s, ConfigMapHoldsExactlyTheExampleRepository) {
  const YAML::Node data = docs_.at("ConfigMap/hbprep-models")["data"];
  std::set<std::string> keys, files;
  for (const auto& item : data) keys.insert(item.first.as<std::string>());
  for (const auto& entry : fs::directory_iterator(HBPREP_SOURCE_DIR "/deploy/models")) {
    files.insert(entry.path().filename().string());
  }
  EXPECT_EQ(keys, files);
  for (const std::string& file : files) {
    EXPECT_EQ(data[file].as<std::string>(), Read(HBPREP_SOURCE_DIR "/deploy/models/" + file))
        << file << " differs: regenerate deploy/k8s/models-configmap.yaml";
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// The systemd unit listens on its unix socket only (no TCP without a token) and gives the
// server a file limit far above the default 1024 (gRPC 1.51 stops accepting on EMFILE).
TEST(SystemdUnit, ListensOnTheUnixSocketOnlyWithAHighFileLimit) {
  const std::string unit =
      ::hbprep::testing::Read(HBPREP_SOURCE_DIR "/deploy/systemd/hbprep-server.service.in");
  std::vector<std::string> listens, limits;
  bool in_exec = false;
  std::string line;
  for (size_t start = 0; start < unit.size();) {
    const size_t end = std::min(unit.find('\n', start), unit.size());
    line = unit.substr(start, end - start);
    start = end + 1;
    if (line.rfind("#", 0) == 0) continue;
    if (line.rfind("ExecStart=", 0) == 0) in_exec = true;
    if (in_exec) {
      for (size_t at = line.find("--listen "); at != std::string::npos;
           at = line.find("--listen ", at + 1)) {
        const size_t value = at + 9;
        listens.push_back(line.substr(value, line.find(' ', value) - value));
      }
      in_exec = !line.empty() && line.back() == '\\';
    }
    if (line.rfind("LimitNOFILE=", 0) == 0) limits.push_back(line);
  }
  EXPECT_THAT(listens, ::testing::ElementsAre("unix:/run/hbprep/hbprep.sock"));
  EXPECT_THAT(limits, ::testing::ElementsAre("LimitNOFILE=65536"));
}

}  // namespace
}  // namespace hbprep
