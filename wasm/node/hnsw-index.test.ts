import { loadHnswModule } from "../hnsw.node.js";
import { hnswFactory } from "../hnsw-index";
import { runKnnConformance } from "../knn.case";

runKnnConformance(hnswFactory(loadHnswModule()));
