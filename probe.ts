import { distill } from "../search/src/distill/distill.js";
for (const [env, teacher, student] of [["Acrobot-v1","models/acrobot-ppo.rldistill",[8]],["Acrobot-v1","models/acrobot-ppo.rldistill",[32,32]],["Pendulum-v1","models/pendulum-ppo.rldistill",[8]],["Pendulum-v1","models/pendulum-ppo.rldistill",[32,32]]] as const) {
  const t = performance.now();
  const r = await distill({ teachers: [teacher], env, student: [...student], seed: 1, out: `/work/runs-search/probe-${env}-${student.join("x")}`, finalEpisodes: 100, evalEvery: 1 });
  console.log(env, student, "ret", r.summary.retention, "agr", r.summary.agreement, "params", r.summary.student.params, "t", r.summary.teacher.eval.mean_return, "s", r.summary.student.eval.mean_return, ((performance.now()-t)/1000).toFixed(1), "s");
}
