"""Reference metrics for compute-metrics.test.ts: reads batches as JSON on stdin, writes
scikit-learn's figures as JSON on stdout (NaN as null)."""
import json
import math
import sys

import numpy as np
from scipy.stats import norm
from sklearn import metrics as m


def clean(value):
    value = float(value)
    return None if math.isnan(value) else value


def classification(batch):
    y_true = batch["y_true"]
    y_pred = batch["y_pred"]
    classes = batch["classes"]
    if batch["integer"]:
        y_true = [int(v) for v in y_true]
        y_pred = [int(v) for v in y_pred]
        classes = [int(v) for v in classes]
    out = {"accuracy": clean(m.accuracy_score(y_true, y_pred))}
    p, r, f, s = m.precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    out.update(precision=p.tolist(), recall=r.tolist(), f1=f.tolist(), support=s.tolist())
    for average in ("macro", "micro", "weighted"):
        ap, ar, af, _ = m.precision_recall_fscore_support(
            y_true, y_pred, labels=classes, average=average, zero_division=0
        )
        out[average] = [float(ap), float(ar), float(af)]
    out["confusion"] = m.confusion_matrix(y_true, y_pred, labels=classes).ravel().tolist()
    if batch.get("probabilities"):
        proba = np.array(batch["probabilities"]).reshape(len(y_true), len(classes))
        out["log_loss"] = float(m.log_loss(y_true, proba, labels=classes))
        if len(classes) == 2:
            out["auc_binary"] = float(m.roc_auc_score(y_true, proba[:, 1]))
        else:
            out["auc_macro"] = float(m.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes))
            out["auc_weighted"] = float(
                m.roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=classes)
            )
        # DeLong's standard error of each one-vs-rest AUC, pair by pair (midranks: a tie counts 1/2),
        # and the z of a 95% interval, for the DELONG intervals ComputeMetrics gives.
        truth = np.array(y_true)
        out["delong_se"] = [delong_se(proba[truth == c, k], proba[truth != c, k]) for k, c in enumerate(classes)]
        out["z95"] = float(norm.ppf(0.975))
    return out


def delong_se(x, y):
    if len(x) < 2 or len(y) < 2:
        return None
    psi = (x[:, None] > y[None, :]).astype(float) + 0.5 * (x[:, None] == y[None, :])
    return float(math.sqrt(psi.mean(axis=1).var(ddof=1) / len(x) + psi.mean(axis=0).var(ddof=1) / len(y)))


def regression(batch):
    y_true = np.array(batch["y_true"])
    y_pred = np.array(batch["y_pred"])
    mse = m.mean_squared_error(y_true, y_pred)
    return {
        "mse": float(mse),
        "rmse": float(math.sqrt(mse)),
        "mae": float(m.mean_absolute_error(y_true, y_pred)),
        "mape": float(m.mean_absolute_percentage_error(y_true, y_pred)),
        "r2": float(m.r2_score(y_true, y_pred)),
    }


batches = json.load(sys.stdin)
json.dump([classification(b) if b["task"] == "classification" else regression(b) for b in batches], sys.stdout)
