"""Reference metrics for compute-metrics.test.ts: reads batches as JSON on stdin, writes
scikit-learn's figures as JSON on stdout (NaN as null)."""
import json
import math
import sys

import numpy as np
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
    return out


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
